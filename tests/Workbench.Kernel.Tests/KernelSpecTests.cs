using System.Text.Json.Nodes;

namespace Workbench.Kernel.Tests;

public class KernelSpecTests
{
    private static readonly string[] Argv = ["/opt/workbench/workbench", "kernel", "start", "{connection_file}"];

    [Fact]
    public void JsonHasArgvNameLanguageAndMessageInterrupts()
    {
        var spec = JsonNode.Parse(KernelSpec.ToJson(Argv))!.AsObject();
        Assert.Equal(Argv, spec["argv"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal("C# (Workbench)", spec["display_name"]!.GetValue<string>());
        Assert.Equal("csharp", spec["language"]!.GetValue<string>());
        Assert.Equal("message", spec["interrupt_mode"]!.GetValue<string>());
        Assert.False(spec["metadata"]!["debugger"]!.GetValue<bool>());
    }

    [Fact]
    public void InstallsUnderPrefixAndUninstalls()
    {
        var prefix = Path.Combine(Path.GetTempPath(), $"wb-spec-{Guid.NewGuid()}");
        try
        {
            var folder = KernelSpec.Install(prefix, user: false, Argv);
            Assert.Equal(Path.Combine(prefix, "share", "jupyter", "kernels", "workbench-csharp"), folder);
            Assert.Equal(KernelSpec.ToJson(Argv), File.ReadAllText(Path.Combine(folder, "kernel.json")));
            Assert.Equal(["kernel.json"], Directory.GetFiles(folder).Select(Path.GetFileName));
            // Reinstalling overwrites in place.
            KernelSpec.Install(prefix, user: false, ["other", "{connection_file}"]);
            Assert.Contains("other", File.ReadAllText(Path.Combine(folder, "kernel.json")));
            Assert.True(KernelSpec.Uninstall(prefix, user: false));
            Assert.False(Directory.Exists(folder));
            Assert.False(KernelSpec.Uninstall(prefix, user: false));
        }
        finally
        {
            if (Directory.Exists(prefix)) Directory.Delete(prefix, recursive: true);
        }
    }

    [Fact]
    public void UserFolderFollowsJupyterDataDirRules()
    {
        string? None(string _) => null;
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("/home/ada/.local/share/jupyter/kernels/workbench-csharp", KernelSpec.Directory(null, true, None, "/home/ada"));
            // Default (neither flag) is the user folder.
            Assert.Equal(KernelSpec.Directory(null, true, None, "/home/ada"), KernelSpec.Directory(null, false, None, "/home/ada"));
            Assert.Equal("/xdg/jupyter/kernels/workbench-csharp",
                KernelSpec.Directory(null, true, n => n == "XDG_DATA_HOME" ? "/xdg" : null, "/home/ada"));
        }
        Assert.Equal(Path.Combine(Path.GetFullPath("/jd"), "kernels", "workbench-csharp"),
            KernelSpec.Directory(null, true, n => n == "JUPYTER_DATA_DIR" ? "/jd" : null, "/home/ada"));
    }

    [Fact]
    public void BadArgumentsSayWhatToDo()
    {
        Assert.Contains("{connection_file}", Assert.Throws<ArgumentException>(() => KernelSpec.ToJson(["workbench", "kernel"])).Message);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => KernelSpec.ToJson([])).Message);
        Assert.Contains("choose one", Assert.Throws<ArgumentException>(() => KernelSpec.Install("/tmp/x", true, Argv)).Message);
        Assert.Contains("--prefix", Assert.Throws<ArgumentException>(() => KernelSpec.Install(" ", false, Argv)).Message);
    }
}
