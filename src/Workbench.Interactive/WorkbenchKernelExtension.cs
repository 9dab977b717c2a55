using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Commands;
using Workbench.Display;
using Workbench.Vae.Torch;
using InteractiveKernel = Microsoft.DotNet.Interactive.Kernel;

namespace Workbench.Interactive;

/// <summary>
/// Workbench in .NET Interactive: loads libtorch from the build output this assembly was referenced from, shows
/// tensors, images, LaTeX, figures and tables through Workbench's own formatter, and gives the C# kernel the imports
/// and globals (CancellationToken, NotebookDirectory) our own kernel's cells start with. A notebook loads it with
/// <c>#load "&lt;build output&gt;/workbench.csx"</c> (docs/notebooks.md), before its first tensor.
/// </summary>
public sealed class WorkbenchKernelExtension : IKernelExtension
{
    private static readonly FormatContext Context = new();

    /// <summary>Loads TorchSharp's native libraries, registers the formatters and adds the imports and globals; safe to call again.</summary>
    public Task OnLoadAsync(InteractiveKernel kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        TorchNativeProbing.Install();
        TorchRuntime.EnsureLoaded();
        InteractiveFormatters.Register(Context);
        // Run before the C# kernel's next cell: this one (the #load) is still running. Jupyter starts the kernel in the
        // notebook's folder, which our kernel's NotebookDirectory names.
        if ((kernel.FindKernelByName("csharp") ?? kernel) is { Name: "csharp" } csharp)
            csharp.DeferCommand(new SubmitCode(NotebookImports.UsingDirectives() + NotebookImports.Globals(Directory.GetCurrentDirectory())));
        return Task.CompletedTask;
    }

    /// <summary>Loads the extension into the running .NET Interactive kernel (what workbench.csx calls).</summary>
    public static Task LoadAsync() =>
        new WorkbenchKernelExtension().OnLoadAsync(InteractiveKernel.Root
            ?? throw new InvalidOperationException("WorkbenchKernelExtension.LoadAsync runs inside a .NET Interactive kernel; none is running in this process."));
}
