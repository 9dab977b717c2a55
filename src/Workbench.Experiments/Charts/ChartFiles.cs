namespace Workbench.Experiments.Charts;

/// <summary>File helpers shared by the exporters.</summary>
internal static class ChartFiles
{
    /// <summary>Deletes a directory tree, retrying briefly: a browser child process may still hold files for a moment after exit.</summary>
    internal static void DeleteDirectory(string dir)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
                return;
            }
            catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && attempt < 10)
            {
                Thread.Sleep(100);
            }
        }
    }
}
