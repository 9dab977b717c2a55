using Workbench.Kernel;
using Workbench.Kernel.TestHost;

// A kernel process for end-to-end tests: the real KernelHost driven by the EchoBackend.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Workbench.Kernel.TestHost CONNECTION_FILE");
    return 2;
}
try
{
    await KernelHost.RunAsync(args[0], new EchoBackend());
    return 0;
}
catch (KernelStartupException e)
{
    Console.Error.WriteLine(e.Message);
    return 1;
}
