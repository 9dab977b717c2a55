namespace Workbench.Experiments.Charts;

/// <summary>File helpers shared by the exporters.</summary>
internal static class ChartFiles
{
    /// <summary>
    /// Writes to a temp file beside <paramref name="path"/>, then renames it over the target, so a killed
    /// process never leaves a half-written chart behind.
    /// </summary>
    internal static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

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
