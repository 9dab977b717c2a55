using System.CommandLine;
using System.Runtime.InteropServices;
using Spectre.Console;
using Workbench.Kernel;
using Workbench.Notebooks.Kernel;

namespace Workbench.Cli;

/// <summary>
/// `workbench kernel install|uninstall [--user|--prefix DIR]` registers the "C# (Workbench)" Jupyter kernel,
/// whose command runs this very CLI; `workbench kernel start CONNECTION_FILE` is that command: the kernel
/// process Jupyter launches.
/// </summary>
public static class KernelCommand
{
    public static Command Build(IAnsiConsole console)
    {
        var user = new Option<bool>("--user") { Description = "Install into your own Jupyter data folder (the default)." };
        var prefix = new Option<string?>("--prefix") { Description = "Install into DIR/share/jupyter/kernels, e.g. a virtual environment's folder." };
        var install = new Command("install", $"Register the '{KernelSpec.DisplayName}' kernel with Jupyter (VS Code, JupyterLab, nbconvert).") { user, prefix };
        install.SetAction(parse => Install(console, parse.GetValue(prefix), parse.GetValue(user)));

        var uninstallUser = new Option<bool>("--user") { Description = "Remove it from your own Jupyter data folder (the default)." };
        var uninstallPrefix = new Option<string?>("--prefix") { Description = "Remove it from DIR/share/jupyter/kernels." };
        var uninstall = new Command("uninstall", "Remove the kernel registration.") { uninstallUser, uninstallPrefix };
        uninstall.SetAction(parse => Uninstall(console, parse.GetValue(uninstallPrefix), parse.GetValue(uninstallUser)));

        var connectionFile = new Argument<string>("CONNECTION_FILE") { Description = "The connection file Jupyter wrote for this kernel." };
        var start = new Command("start", "Run the kernel (Jupyter starts this itself; you need not run it by hand).") { connectionFile };
        // A synchronous action: Ctrl-C is not turned into cancellation here, because the kernel host routes
        // SIGINT to an interrupt of the running cell (a Ctrl-C in the terminal that started Jupyter).
        start.SetAction(parse => Start(console, parse.GetValue(connectionFile)!));

        return new Command("kernel", "The Jupyter kernel for C# notebooks.") { install, uninstall, start };
    }

    private static int Install(IAnsiConsole console, string? prefix, bool user)
    {
        var argv = LaunchCommand();
        var folder = KernelSpec.Install(prefix, user, argv);
        console.MarkupLine($"Installed kernel [bold]{Markup.Escape(KernelSpec.Name)}[/] ({Markup.Escape(KernelSpec.DisplayName)}) in {Markup.Escape(folder)}");
        console.MarkupLine($"[grey]It runs: {Markup.Escape(string.Join(' ', argv))}[/]");
        return Cli.Ok;
    }

    private static int Uninstall(IAnsiConsole console, string? prefix, bool user)
    {
        var folder = KernelSpec.Directory(prefix, user);
        if (KernelSpec.Uninstall(prefix, user))
        {
            console.MarkupLine($"Removed kernel {Markup.Escape(KernelSpec.Name)} from {Markup.Escape(folder)}");
            return Cli.Ok;
        }
        console.MarkupLine($"[red]error:[/] kernel {Markup.Escape(KernelSpec.Name)} is not installed at {Markup.Escape(folder)}; " +
                           "pass the same --user/--prefix you installed it with.");
        return Cli.UserError;
    }

    private static int Start(IAnsiConsole console, string connectionFile)
    {
        if (!File.Exists(connectionFile))
            throw new FileNotFoundException($"The connection file '{connectionFile}' does not exist; Jupyter writes it and passes its path when it starts the kernel.", connectionFile);
        var backend = new NotebookKernelBackend();
        try
        {
            KernelHost.RunAsync(connectionFile, backend).GetAwaiter().GetResult();
            return Cli.Ok;
        }
        catch (KernelStartupException e)
        {
            console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return Cli.UserError;
        }
        finally
        {
            backend.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>
    /// The kernelspec's argv: this CLI's own launcher when the process is it, otherwise the dotnet host
    /// running this CLI's workbench.dll (full paths, since Jupyter may start kernels with another PATH).
    /// </summary>
    internal static string[] LaunchCommand()
    {
        string[] tail = ["kernel", "start", KernelSpec.ConnectionFilePlaceholder];
        var process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "workbench") return [process, .. tail];
        var dll = typeof(KernelCommand).Assembly.Location;
        if (dll.Length == 0)
            throw new InvalidOperationException("The workbench CLI has no file location (single-file build?); install the kernel from the workbench launcher.");
        return [DotnetHost(process), Path.GetFullPath(dll), .. tail];
    }

    private static string DotnetHost(string? process)
    {
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath)) return hostPath;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var exe = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "dotnet.exe" : "dotnet";
        if (root is { Length: > 0 } && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
        return "dotnet";
    }
}
