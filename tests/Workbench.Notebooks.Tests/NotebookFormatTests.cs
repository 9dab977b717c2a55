using System.Text.Json.Nodes;

namespace Workbench.Notebooks.Tests;

public class NotebookFormatTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-nbformat-" + Guid.NewGuid().ToString("N"));

    public NotebookFormatTests() => Directory.CreateDirectory(dir);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>
    /// A notebook as Jupyter writes it (sorted keys, one-space indent), with unknown keys at every level,
    /// both source forms, a non-canonical line list, all four output kinds and numbers in unusual forms.
    /// </summary>
    internal const string Rich = """
        {
         "cells": [
          {
           "attachments": {
            "a.png": {
             "image/png": "iVBORw0KGgo="
            }
           },
           "cell_type": "markdown",
           "id": "md-1",
           "metadata": {
            "editable": false,
            "jupyter": {
             "source_hidden": true
            }
           },
           "source": [
            "# Title é中\n",
            "text"
           ]
          },
          {
           "cell_type": "code",
           "execution_count": 7,
           "id": "code-1",
           "metadata": {
            "dotnet_interactive": {
             "language": "csharp"
            },
            "tags": [
             "parameters"
            ],
            "unknown_cell_key": [
             1,
             2.50,
             1e-05,
             null,
             true
            ]
           },
           "outputs": [
            {
             "name": "stdout",
             "output_type": "stream",
             "text": "one string\nnot split\n"
            },
            {
             "data": {
              "application/vnd.plotly.v1+json": {
               "data": [],
               "layout": {
                "title": "t"
               }
              },
              "image/png": "iVBORw0KGgo=\n",
              "text/plain": [
               "a\n",
               "b"
              ]
             },
             "metadata": {
              "image/png": {
               "width": 28
              }
             },
             "output_type": "display_data",
             "transient_extra": "kept"
            },
            {
             "data": {
              "text/plain": [
               "42"
              ]
             },
             "execution_count": 7,
             "metadata": {},
             "output_type": "execute_result"
            },
            {
             "ename": "DivideByZeroException",
             "evalue": "Attempted to divide by zero.",
             "output_type": "error",
             "traceback": [
              "line 1",
              "line \"2\"\t\u0001"
             ]
            }
           ],
           "source": "int Epochs = 3;\nvar x = \"</script>\";"
          },
          {
           "cell_type": "raw",
           "id": "raw-1",
           "metadata": {
            "format": "text/x-rst"
           },
           "source": [
            "no newline at end of this line",
            " but a list anyway\n"
           ]
          },
          {
           "cell_type": "code",
           "execution_count": null,
           "id": "code-2",
           "metadata": {},
           "outputs": [],
           "source": []
          }
         ],
         "metadata": {
          "kernelspec": {
           "display_name": ".NET (C#)",
           "language": "C#",
           "name": ".net-csharp"
          },
          "language_info": {
           "name": "polyglot-notebook"
          },
          "polyglot_notebook": {
           "kernelInfo": {
            "defaultKernelName": "csharp",
            "items": [
             {
              "aliases": [],
              "name": "csharp"
             }
            ]
           }
          }
         },
         "nbformat": 4,
         "nbformat_minor": 5,
         "top_level_unknown": {
          "x": 1
         }
        }

        """;

    [Fact]
    public void RoundTripIsJsonEqualAndByteEqualForJupyterOutput()
    {
        var nb = Notebook.Parse(Rich, "rich.ipynb");
        string written = nb.ToJson();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(Rich), JsonNode.Parse(written)), written);
        // Jupyter's own layout comes back byte for byte (numbers such as 2.50 and 1e-05 keep their text).
        Assert.Equal(Rich.Replace("\r\n", "\n"), written);
    }

    [Fact]
    public void ModelExposesCellsSourcesOutputsAndTags()
    {
        var nb = Notebook.Parse(Rich, "rich.ipynb");
        Assert.Equal(5, nb.FormatMinor);
        Assert.Equal(4, nb.Cells.Count);
        Assert.Equal([CellType.Markdown, CellType.Code, CellType.Raw, CellType.Code], nb.Cells.Select(c => c.Type));
        Assert.Equal("# Title é中\ntext", nb.Cells[0].Source);
        Assert.True(nb.Cells[0].SourceAsLines);
        Assert.False(nb.Cells[1].SourceAsLines);
        Assert.Equal("code-1", nb.Cells[1].Id);
        Assert.Equal(7, nb.Cells[1].ExecutionCount);
        Assert.Null(nb.Cells[3].ExecutionCount);
        Assert.Equal("", nb.Cells[3].Source);
        Assert.True(nb.Cells[1].HasTag("parameters"));
        Assert.Equal((1, nb.Cells[1]), nb.FindTagged("parameters"));

        var outputs = nb.Cells[1].Outputs;
        var stream = Assert.IsType<StreamOutput>(outputs[0]);
        Assert.Equal(("stdout", "one string\nnot split\n"), (stream.Name, stream.Text));
        var display = Assert.IsType<DisplayDataOutput>(outputs[1]);
        Assert.Equal("a\nb", display.Data.GetText("text/plain"));
        Assert.IsType<JsonObject>(display.Data["application/vnd.plotly.v1+json"]);
        Assert.Equal(28, (int)display.Metadata["image/png"]!["width"]!);
        Assert.Equal("kept", (string)display.Extra["transient_extra"]!);
        var result = Assert.IsType<ExecuteResultOutput>(outputs[2]);
        Assert.Equal((7, "42"), (result.ExecutionCount, result.Data.GetText("text/plain")));
        var error = Assert.IsType<ErrorOutput>(outputs[3]);
        Assert.Equal("DivideByZeroException", error.EName);
        Assert.Equal(["line 1", "line \"2\"\t\u0001"], error.Traceback);
    }

    [Fact]
    public void EditedSourceIsWrittenInItsOriginalFormAndNewTextInLines()
    {
        var nb = Notebook.Parse(Rich);
        nb.Cells[1].Source = "a\nb";          // was a string: stays a string
        nb.Cells[0].Source = "# New\nbody\n"; // was a list: re-split into lines
        nb.Cells[1].Outputs.Add(new StreamOutput("stderr", "x\ny"));
        var json = JsonNode.Parse(nb.ToJson())!;
        Assert.Equal("a\nb", (string)json["cells"]![1]!["source"]!);
        Assert.Equal(["# New\n", "body\n"], json["cells"]![0]!["source"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["x\n", "y"], json["cells"]![1]!["outputs"]![4]!["text"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void SaveIsAtomicWithJupyterLayoutAndTrailingNewline()
    {
        var nb = new Notebook();
        nb.Cells.Add(Cell.Markdown("# Hi"));
        nb.Cells.Add(Cell.Code("1 + 1"));
        string path = Path.Combine(dir, "sub", "new.ipynb");
        nb.Save(path);
        string text = File.ReadAllText(path);
        Assert.StartsWith("{\n \"cells\": [\n  {\n   \"cell_type\": \"markdown\",\n", text);
        Assert.EndsWith("\"nbformat_minor\": 5\n}\n", text);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind
        var back = Notebook.Load(path);
        Assert.Equal(["# Hi", "1 + 1"], back.Cells.Select(c => c.Source));
        Assert.Equal(text, back.ToJson());
        Assert.Null(back.Cells[1].ExecutionCount);
        Assert.Matches("^[0-9a-f]{8}$", back.Cells[1].Id!);
    }

    [Theory]
    [InlineData("{\"cells\": [", "is not valid JSON at line 1")]
    [InlineData("{\"cells\": [],\n \"nbformat\": 4,\n \"nbformat_minor\": 5,}", "line 3")]
    [InlineData("[1, 2]", "top level must be a JSON object")]
    [InlineData("{\"cells\": [], \"metadata\": {}}", "has no 'nbformat' field")]
    [InlineData("{\"cells\": [], \"metadata\": {}, \"nbformat\": 3, \"nbformat_minor\": 0}", "is nbformat 3, but only nbformat 4 is supported")]
    [InlineData("{\"cells\": [], \"metadata\": {}, \"nbformat\": \"4\", \"nbformat_minor\": 0}", "'nbformat' must be a whole number")]
    [InlineData("{\"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "has no 'cells' list")]
    [InlineData("{\"cells\": {}, \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "'cells' must be a list, but it is an object")]
    [InlineData("{\"cells\": [{\"cell_type\": \"heading\", \"source\": \"\", \"metadata\": {}}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cell 1 has cell_type 'heading'; expected code, markdown or raw")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"metadata\": {}, \"outputs\": []}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cell 1 has no 'source'")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": [\"a\", 3], \"metadata\": {}, \"outputs\": []}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cell 1: 'source': item 2 must be a string, but it is the number 3")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"metadata\": {}, \"outputs\": [{\"output_type\": \"widget\"}]}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cell 1, output 1 has output_type 'widget'")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"metadata\": {}, \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\"}]}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cell 1, output 1 (stream) has no 'text'")]
    [InlineData("{\"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"metadata\": {}, \"execution_count\": \"1\", \"outputs\": []}], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "'execution_count' must be a whole number or null")]
    [InlineData("{\"cells\": [], \"metadata\": [], \"nbformat\": 4, \"nbformat_minor\": 5}", "'metadata' must be an object, but it is a list")]
    [InlineData("{\"cells\": [], \"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}", "cells")]
    public void MalformedNotebooksNameTheFileAndTheProblem(string json, string expected)
    {
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Parse(json, "bad.ipynb"));
        Assert.StartsWith("Notebook 'bad.ipynb': ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal("bad.ipynb", e.NotebookPath);
    }

    [Fact]
    public void LoadNamesTheFileForMissingFilesBadJsonAndBadEncoding()
    {
        var missing = Path.Combine(dir, "none.ipynb");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => Notebook.Load(missing)).Message);

        var broken = Path.Combine(dir, "broken.ipynb");
        File.WriteAllText(broken, "{\n \"cells\": [\n  }\n");
        var e = Assert.Throws<NotebookFormatException>(() => Notebook.Load(broken));
        Assert.Contains(broken, e.Message);
        Assert.Contains("line 3", e.Message);

        var latin1 = Path.Combine(dir, "latin1.ipynb");
        File.WriteAllBytes(latin1, [(byte)'{', 0xE9, (byte)'}']);
        Assert.Contains("not UTF-8", Assert.Throws<NotebookFormatException>(() => Notebook.Load(latin1)).Message);
    }

    [Fact]
    public void OlderMinorVersionsWithoutIdsRoundTrip()
    {
        const string v4 = "{\"cells\": [{\"cell_type\": \"code\", \"execution_count\": null, \"metadata\": {}, \"outputs\": [], \"source\": \"x\"}], " +
                          "\"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 2}";
        var nb = Notebook.Parse(v4);
        Assert.False(nb.UsesCellIds);
        Assert.Null(nb.Cells[0].Id);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(v4), JsonNode.Parse(nb.ToJson())));
    }

    [Fact]
    public void MimeBundleStoresTextAsLinesJsonAsJsonAndBinaryAsOneString()
    {
        var bundle = new MimeBundle()
            .Set("text/plain", "a\nb\n")
            .Set("image/png", "AAAA")
            .Set("application/json", "{\"k\": [1, 2]}");
        Assert.Equal(["a\n", "b\n"], bundle["text/plain"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("AAAA", (string)bundle["image/png"]!);
        Assert.Equal(2, (int)bundle["application/json"]!["k"]![1]!);
        Assert.Equal("a\nb\n", bundle.GetText("text/plain"));
        Assert.Contains("type/subtype", Assert.Throws<ArgumentException>(() => bundle.Set("plain", "x")).Message);
        Assert.Contains("must be JSON", Assert.Throws<ArgumentException>(() => bundle.Set("application/vnd.x+json", "{oops")).Message);
    }
}
