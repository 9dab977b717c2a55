using System.Globalization;
using Workbench.Kernel;
using Workbench.Kernel.TestHost;

// A kernel process for end-to-end tests: the real KernelHost driven by the EchoBackend.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Workbench.Kernel.TestHost CONNECTION_FILE");
    return 2;
}
// Seconds to wait before binding: a kernel that comes up as slowly as the notebook engine on a busy machine, for the
// scenarios that check how clients cope with one (scenarios.py restart).
if (Environment.GetEnvironmentVariable("WORKBENCH_TESTHOST_START_DELAY_S") is { Length: > 0 } delay)
{
    if (!double.TryParse(delay, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
    {
        Console.Error.WriteLine($"WORKBENCH_TESTHOST_START_DELAY_S is '{delay}'; it must be a non-negative number of seconds.");
        return 2;
    }
    await Task.Delay(TimeSpan.FromSeconds(seconds));
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
