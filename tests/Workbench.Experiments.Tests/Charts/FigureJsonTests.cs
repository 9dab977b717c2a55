using System.Globalization;
using System.Text.Json;
using Workbench.Experiments.Charts;

namespace Workbench.Experiments.Tests.Charts;

public class FigureJsonTests
{
    /// <summary>Expected JSON written with single quotes for readability; plotly JSON never contains a quote character here.</summary>
    private static string J(string singleQuoted) => singleQuoted.Replace('\'', '"');

    [Fact]
    public void Scatter_serialises_to_exact_plotly_json()
    {
        var fig = new Figure()
            .Add(new Scatter
            {
                X = new[] { 0.0, 0.5, 1.0 },
                Y = new[] { 0.0, 0.25, double.NaN },
                Name = "relu",
                Mode = ScatterMode.LinesMarkers,
                Line = new Line { Color = "#1f77b4", Width = 2, Dash = Dash.Dashed },
                Marker = new Marker { Size = 6 },
            })
            .WithTitle("Activation").WithAxes("x", "f(x)");

        string expected =
            J("{'data':[{'type':'scatter','name':'relu','mode':'lines+markers','x':[0,0.5,1],'y':[0,0.25,null],") +
            J("'line':{'color':'#1f77b4','width':2,'dash':'dash'},'marker':{'size':6}}],") +
            J("'layout':{'title':{'text':'Activation'},'xaxis':{'title':{'text':'x'}},'yaxis':{'title':{'text':'f(x)'}}}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Latent_scatter_with_colour_array_text_and_legend_fields()
    {
        var fig = new Figure().Add(new Scatter
        {
            X = new[] { 0.1f, -2.5f },
            Y = new[] { 1.5f, 3f },
            Mode = ScatterMode.Markers,
            Text = ["digit 3", "digit 7"],
            HoverText = ["a", null],
            Marker = new Marker { Size = 4, Colors = new[] { 3, 7 }, ColorScale = "Viridis", ShowScale = true, ColorBarTitle = "label" },
            ShowLegend = false,
            LegendGroup = "z",
            XAxis = "x2",
            YAxis = "y2",
        });
        // float32 0.1f is written in float32's shortest form "0.1", not as the widened double 0.10000000149011612.
        string expected =
            J("{'data':[{'type':'scatter','mode':'markers','x':[0.1,-2.5],'y':[1.5,3],'text':['digit 3','digit 7'],") +
            J("'hovertext':['a',null],'marker':{'size':4,'color':[3,7],'colorscale':'Viridis','showscale':true,") +
            J("'colorbar':{'title':{'text':'label'}}},'showlegend':false,'legendgroup':'z','xaxis':'x2','yaxis':'y2'}],'layout':{}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Bar_with_error_bars_serialises_to_exact_plotly_json()
    {
        var fig = new Figure()
            .Add(new Bar
            {
                X = new[] { "relu", "swish" },
                Y = new[] { -95.25, -94.5 },
                Name = "test ELBO",
                Color = "#ff7f0e",
                ErrorY = new ErrorBars { Array = new[] { 0.5, 0.25 } },
            })
            .WithLayout(l =>
            {
                l.BarMode = BarMode.Group;
                l.YAxis.Range = (-100, -90);
            });

        string expected =
            J("{'data':[{'type':'bar','name':'test ELBO','x':['relu','swish'],'y':[-95.25,-94.5],'marker':{'color':'#ff7f0e'},") +
            J("'error_y':{'type':'data','array':[0.5,0.25],'visible':true}}],") +
            J("'layout':{'barmode':'group','yaxis':{'range':[-100,-90]}}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Asymmetric_error_bars_write_symmetric_false_and_arrayminus()
    {
        var fig = new Figure().Add(new Scatter
        {
            Y = new[] { 1.0, 2.0 },
            ErrorY = new ErrorBars { Array = new[] { 0.1, 0.2 }, ArrayMinus = new[] { 0.3, 0.4 }, Visible = false, Thickness = 1.5 },
        });
        string expected =
            J("{'data':[{'type':'scatter','y':[1,2],'error_y':{'type':'data','array':[0.1,0.2],'symmetric':false,") +
            J("'arrayminus':[0.3,0.4],'visible':false,'thickness':1.5}}],'layout':{}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Heatmap_serialises_to_exact_plotly_json()
    {
        var fig = new Figure().Add(new Heatmap
        {
            Z = new double[,] { { 1, 2, 3 }, { 4, double.NaN, 6 } },
            X = new[] { "a", "b", "c" },
            Y = new[] { "r1", "r2" },
            ColorScale = "Viridis",
            ZMin = 0,
            ZMax = 6,
            ShowScale = true,
        });
        string expected =
            J("{'data':[{'type':'heatmap','z':[[1,2,3],[4,null,6]],'x':['a','b','c'],'y':['r1','r2'],") +
            J("'colorscale':'Viridis','zmin':0,'zmax':6,'showscale':true}],'layout':{}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Heatmap_from_jagged_and_row_major_buffers_and_custom_colour_scale()
    {
        var jagged = new Figure().Add(new Heatmap
        {
            Z = new[] { new[] { 1f, 2f }, new[] { 3f, float.PositiveInfinity } },
            ColorScale = ColorScale.Of((0, "#ffffff"), (1, "#000000")),
        }).ToJson();
        var rowMajor = new Figure().Add(new Heatmap
        {
            Z = Matrix.FromRowMajor(new[] { 1f, 2f, 3f, float.PositiveInfinity }, 2, 2),
            ColorScale = ColorScale.Of((0, "#ffffff"), (1, "#000000")),
        }).ToJson();
        string expected =
            J("{'data':[{'type':'heatmap','z':[[1,2],[3,null]],'colorscale':[[0,'#ffffff'],[1,'#000000']]}],'layout':{}}");
        Assert.Equal(expected, jagged);
        Assert.Equal(expected, rowMajor);
    }

    [Fact]
    public void Subplots_assign_axes_with_domains_anchors_and_titles()
    {
        // 2 x 2 grid with default spacing: horizontal 0.2 / 2 = 0.1, vertical 0.3 / 2 = 0.15.
        // Column width (1 - 0.1) / 2 = 0.45: columns span [0, 0.45] and [0.55, 1].
        // Row height (1 - 0.15) / 2 = 0.425: row 1 spans [0.575, 1], row 2 spans [0, 0.425].
        // Titles sit at the column centres 0.225 and 0.775, on the row tops 1 and 0.425.
        var fig = Figure.Subplots(2, 2, titles: ["a", "b", null, "d"])
            .Add(new Scatter { X = new[] { 1, 2 }, Y = new[] { 3, 4 } }, row: 2, col: 1)
            .Add(new Bar { X = new[] { "a" }, Y = new[] { 1 } }, row: 1, col: 2)
            .WithAxes(2, 1, "epoch", "loss");

        string title = J(",'xref':'paper','yref':'paper','xanchor':'center','yanchor':'bottom','showarrow':false,'font':{'size':14}}");
        string expected =
            J("{'data':[{'type':'scatter','x':[1,2],'y':[3,4],'xaxis':'x3','yaxis':'y3'},") +
            J("{'type':'bar','x':['a'],'y':[1],'xaxis':'x2','yaxis':'y2'}],") +
            J("'layout':{") +
            J("'xaxis':{'domain':[0,0.45],'anchor':'y'},'yaxis':{'domain':[0.575,1],'anchor':'x'},") +
            J("'xaxis2':{'domain':[0.55,1],'anchor':'y2'},'yaxis2':{'domain':[0.575,1],'anchor':'x2'},") +
            J("'xaxis3':{'title':{'text':'epoch'},'domain':[0,0.45],'anchor':'y3'},") +
            J("'yaxis3':{'title':{'text':'loss'},'domain':[0,0.425],'anchor':'x3'},") +
            J("'xaxis4':{'domain':[0.55,1],'anchor':'y4'},'yaxis4':{'domain':[0,0.425],'anchor':'x4'},") +
            J("'annotations':[{'text':'a','x':0.225,'y':1") + title + "," +
            J("{'text':'b','x':0.775,'y':1") + title + "," +
            J("{'text':'d','x':0.775,'y':0.425") + title + "]}}";
        Assert.Equal(expected, fig.ToJson());
        Assert.Equal(2, fig.GridRows);
        Assert.Equal(2, fig.GridColumns);
    }

    [Fact]
    public void Axes_are_written_in_plotly_order_whatever_order_they_were_touched()
    {
        var layout = new Figure().WithLayout(l =>
        {
            l.Axis("y10").Title = "d";
            l.Axis("x2").Title = "c";
            l.YAxis.Type = AxisType.Log;
            l.XAxis.Reversed = true;
        });
        Assert.Equal(
            J("{'data':[],'layout':{'xaxis':{'autorange':'reversed'},'yaxis':{'type':'log'},'xaxis2':{'title':{'text':'c'}},'yaxis10':{'title':{'text':'d'}}}}"),
            layout.ToJson());
    }

    [Fact]
    public void Layout_size_margin_legend_annotation_and_shape()
    {
        var fig = new Figure().WithSize(640, 400).WithLayout(l =>
        {
            l.Margin = new Margin(Left: 50, Top: 30);
            l.ShowLegend = true;
            l.Legend = new Legend { X = 1.02, Y = 1, XAnchor = "left", Orientation = Orientation.Vertical };
            l.YAxis.Range = (0, 1);
            l.YAxis.Reversed = true;
            l.XAxis.ScaleAnchor = "y";
            l.Annotations.Add(new Annotation { Text = "best", X = 3, Y = 0.5, XRef = "x", YRef = "y", ShowArrow = true });
            l.Shapes.Add(new Shape { X0 = 0, X1 = 1, Y0 = 0.5, Y1 = 0.5, XRef = "paper", Line = new Line { Color = "grey", Dash = Dash.Dot } });
        });
        string expected =
            J("{'data':[],'layout':{'width':640,'height':400,'margin':{'l':50,'t':30},'showlegend':true,") +
            J("'legend':{'orientation':'v','x':1.02,'y':1,'xanchor':'left'},") +
            J("'xaxis':{'scaleanchor':'y'},'yaxis':{'range':[1,0]},") +
            J("'annotations':[{'text':'best','x':3,'y':0.5,'xref':'x','yref':'y','showarrow':true}],") +
            J("'shapes':[{'type':'line','x0':0,'y0':0.5,'x1':1,'y1':0.5,'xref':'paper','yref':'y','line':{'color':'grey','dash':'dot'}}]}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Image_trace_from_png_is_a_data_uri()
    {
        byte[] png = Png.EncodeGray(new byte[] { 0, 255 }, 2, 1);
        var fig = new Figure().Add(Image.FromPng(png, "grid"));
        string expected = J("{'data':[{'type':'image','name':'grid','source':'data:image/png;base64,") +
                          Convert.ToBase64String(png) + J("'}],'layout':{}}");
        Assert.Equal(expected, fig.ToJson());
    }

    [Fact]
    public void Non_finite_numbers_are_written_as_null_everywhere()
    {
        var fig = new Figure()
            .Add(new Scatter
            {
                X = new[] { double.NegativeInfinity, 1 },
                Y = new[] { float.NaN, float.PositiveInfinity },
                ErrorY = new ErrorBars { Array = new[] { double.NaN, 0.5 } },
            })
            .WithLayout(l => l.Annotations.Add(new Annotation { Text = "t", X = double.NaN, Y = 1 }));
        string json = fig.ToJson();
        Assert.Contains("\"x\":[null,1]", json);
        Assert.Contains("\"y\":[null,null]", json);
        Assert.Contains("\"array\":[null,0.5]", json);
        Assert.Contains("\"x\":null,\"y\":1", json);
        Assert.DoesNotContain("NaN", json);
        Assert.DoesNotContain("Infinity", json);
        using var _ = JsonDocument.Parse(json); // still valid JSON
    }

    [Fact]
    public void Numbers_are_written_in_invariant_round_trip_form()
    {
        // Values whose shortest decimal form is long or has an exponent; each must parse back to the same double.
        var values = new List<double> { 0.1, 1.0 / 3, -2.0 / 3, 1e-7, 1e21, 123456789.125, double.Epsilon, double.MaxValue, -0.0 };
        for (int k = -20; k <= 20; k++) values.Add(Math.Pow(Math.PI, k));
        string json = new Figure().Add(new Scatter { Y = values.ToArray() }).ToJson();
        using var doc = JsonDocument.Parse(json);
        var written = doc.RootElement.GetProperty("data")[0].GetProperty("y").EnumerateArray().Select(e => e.GetRawText()).ToArray();
        Assert.Equal(values.Count, written.Length);
        for (int i = 0; i < values.Count; i++)
        {
            Assert.DoesNotContain(",", written[i]);
            Assert.Equal(values[i], double.Parse(written[i], NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        Assert.Equal("0.1", written[0]);
        Assert.Equal("0.3333333333333333", written[1]);
    }

    [Fact]
    public void Serialisation_is_deterministic_and_text_stays_readable()
    {
        Figure Build() => new Figure()
            .Add(new Scatter { X = Values.Range(0, 3), Y = new[] { 1.5, 2.5, 3.5 }, Name = "a </script> & 'b' \"q\" α", Mode = ScatterMode.LinesMarkers })
            .WithTitle("t");
        string first = Build().ToJson();
        Assert.Equal(first, Build().ToJson());
        // '+' and non-ASCII text are written as they are; only quotes and backslashes need escaping in JSON.
        Assert.Contains("\"name\":\"a </script> & 'b' \\\"q\\\" α\"", first);
        Assert.Contains("lines+markers", first);
        Assert.Contains("\"x\":[0,1,2]", first);
        using var doc = JsonDocument.Parse(first);
        Assert.Equal("a </script> & 'b' \"q\" α", doc.RootElement.GetProperty("data")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Json_for_a_script_element_escapes_tag_characters_without_changing_the_value()
    {
        var fig = new Figure().Add(new Scatter { Y = new[] { 1.0 }, Name = "</script><!-- & \u2028" });
        string json = fig.ToJson();
        string safe = Json.ForScript(json);
        Assert.DoesNotContain("<", safe);
        Assert.DoesNotContain(">", safe);
        Assert.DoesNotContain("&", safe);
        Assert.DoesNotContain("\u2028", safe);
        Assert.Contains("\\u003C/script\\u003E", safe);
        using var a = JsonDocument.Parse(json);
        using var b = JsonDocument.Parse(safe);
        Assert.Equal(a.RootElement.GetProperty("data")[0].GetProperty("name").GetString(),
                     b.RootElement.GetProperty("data")[0].GetProperty("name").GetString());
    }

    [Fact]
    public void Arrays_are_held_by_reference()
    {
        var ys = new[] { 1.0, 2.0 };
        var fig = new Figure().Add(new Scatter { Y = ys });
        ys[1] = 5;
        Assert.Contains("\"y\":[1,5]", fig.ToJson());

        // A null array converts to an unset property rather than throwing.
        double[]? none = null;
        Assert.Null(new Scatter { Y = none }.Y);
    }

    [Fact]
    public void Mismatched_lengths_are_reported_with_the_trace()
    {
        var fig = new Figure().Add(new Scatter { Name = "relu", X = new[] { 1.0, 2, 3 }, Y = new[] { 1.0, 2 } });
        var e = Assert.Throws<InvalidOperationException>(() => fig.ToJson());
        Assert.Contains("trace 0", e.Message);
        Assert.Contains("'relu'", e.Message);
        Assert.Contains("X has 3 values but Y has 2", e.Message);

        var bars = new Figure().Add(new Bar { X = new[] { "a", "b" }, Y = new[] { 1.0, 2 }, ErrorY = new ErrorBars { Array = new[] { 0.1 } } });
        Assert.Contains("error bar Array has 1 values for 2 points", Assert.Throws<InvalidOperationException>(() => bars.ToJson()).Message);

        var heat = new Figure().Add(new Heatmap { Z = new double[,] { { 1, 2 } }, X = new[] { 1.0 } });
        Assert.Contains("X has 1 values but Z has 2 columns", Assert.Throws<InvalidOperationException>(() => heat.ToJson()).Message);

        var colours = new Figure().Add(new Scatter { Y = new[] { 1.0, 2 }, Marker = new Marker { Colors = new[] { 1 } } });
        Assert.Contains("Colors has 1 values for 2 points", Assert.Throws<InvalidOperationException>(() => colours.ToJson()).Message);
    }

    [Fact]
    public void Bad_settings_are_rejected_with_what_to_do()
    {
        Assert.Contains("there is no \"x1\"", Assert.Throws<ArgumentException>(() => new Figure().Layout.Axis("x1")).Message);
        Assert.Contains("plotly.js has no \"x1\"", Assert.Throws<ArgumentException>(() => new Scatter { XAxis = "x1" }).Message);
        Assert.Contains("y-axis reference", Assert.Throws<ArgumentException>(() => new Scatter { YAxis = "x2" }).Message);
        Assert.Contains("did you mean 'Viridis'", Assert.Throws<ArgumentException>(() => new Heatmap { ColorScale = "viridis" }).Message);
        Assert.Throws<ArgumentException>(() => ColorScale.Of((0.2, "#fff"), (1, "#000")));
        Assert.Throws<ArgumentException>(() => ColorScale.Of((0, "#fff"), (0, "#888"), (1, "#000")));
        Assert.Contains("no subplot grid", Assert.Throws<InvalidOperationException>(() => new Figure().Add(new Scatter(), 1, 1)).Message);
        Assert.Contains("outside the 1 x 2 grid", Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(1, 2).Add(new Scatter(), 1, 3)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Figure.Subplots(1, 3, horizontalSpacing: 0.5));
        Assert.Throws<ArgumentException>(() => Figure.Subplots(1, 1, titles: ["a", "b"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Figure().WithSize(5, 100));

        var badRange = new Figure().WithLayout(l => l.XAxis.Range = (1, 0));
        Assert.Contains("Reversed = true", Assert.Throws<InvalidOperationException>(() => badRange.ToJson()).Message);
        var badImage = new Figure().Add(new Image { Source = "https://example.invalid/x.png" });
        Assert.Contains("Image.FromPng", Assert.Throws<InvalidOperationException>(() => badImage.ToJson()).Message);
        var bothColours = new Figure().Add(new Scatter { Y = new[] { 1.0 }, Marker = new Marker { Color = "red", Colors = new[] { 1 } } });
        Assert.Contains("both Color and Colors", Assert.Throws<InvalidOperationException>(() => bothColours.ToJson()).Message);
        var heatNoZ = new Figure().Add(new Heatmap());
        Assert.Contains("Z is not set", Assert.Throws<InvalidOperationException>(() => heatNoZ.ToJson()).Message);
        Assert.Contains("row 1 has 1 values but row 0 has 2",
            Assert.Throws<ArgumentException>(() => new Heatmap { Z = new[] { new[] { 1.0, 2 }, new[] { 3.0 } } }).Message);
        var badAnnotation = new Figure().WithLayout(l => l.Annotations.Add(new Annotation { Text = "t", XRef = "y" }));
        Assert.Throws<ArgumentException>(() => badAnnotation.ToJson());
        var badLegend = new Figure().WithLayout(l => l.Legend = new Legend { XAnchor = "top" });
        Assert.Contains("Legend.XAnchor is 'top'", Assert.Throws<InvalidOperationException>(() => badLegend.ToJson()).Message);
    }
}
