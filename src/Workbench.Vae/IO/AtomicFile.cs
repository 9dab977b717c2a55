using System.Text;

namespace Workbench.Vae.IO;

/// <summary>
/// Writes that happen completely or not at all: the bytes go to a temporary file beside the target (a name starting
/// with '.' and ending in .tmp), are flushed to disk, and the file is renamed over the target. A killed process leaves
/// the old file or the new one, never a torn one; the temporary file is removed when the write fails.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>, creating the target's folder when missing.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"Cannot write '{path}': it names a root directory, not a file.", nameof(path));
        Directory.CreateDirectory(directory);
        string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    /// <summary>Text as UTF-8 without a byte order mark.</summary>
    public static void WriteAllText(string path, string contents) =>
        WriteAllBytes(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(contents));
}
