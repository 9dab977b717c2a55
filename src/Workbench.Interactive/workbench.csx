// Loads Workbench into a .NET Interactive C# kernel: #load "<this folder>/workbench.csx" in the first cell.
// The references resolve relative to this file, so the library, TorchSharp and the patched native glue all come
// from this one build output.
#r "TorchSharp.dll"
#r "Workbench.Vae.dll"
#r "Workbench.Experiments.dll"
#r "Workbench.Display.dll"
#r "Workbench.Interactive.dll"
await Workbench.Interactive.WorkbenchKernelExtension.LoadAsync();
