using Workbench.Vae.IO;

namespace Workbench.Vae.Tests.IO;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), "wb-atomic-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void WritesCreatesTheFolderAndReplacesWholeFiles()
    {
        string path = Path.Combine(dir, "sub", "a.txt");
        AtomicFile.WriteAllText(path, "first é");
        Assert.Equal("first é"u8.ToArray(), File.ReadAllBytes(path));              // UTF-8, no byte order mark
        AtomicFile.WriteAllBytes(path, [1, 2, 3]);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Equal(["a.txt"], Directory.GetFiles(Path.Combine(dir, "sub")).Select(Path.GetFileName));
    }

    [Fact]
    public void AFailedWriteLeavesTheOldFileAndNoTemporary()
    {
        string path = Path.Combine(dir, "b.bin");
        AtomicFile.WriteAllBytes(path, [7, 7]);
        var e = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write([1, 2, 3, 4]);
            throw new InvalidOperationException("writer failed half way");
        }));
        Assert.Equal("writer failed half way", e.Message);
        Assert.Equal(new byte[] { 7, 7 }, File.ReadAllBytes(path));
        Assert.Equal(["b.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }
}
