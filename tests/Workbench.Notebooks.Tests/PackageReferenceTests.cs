namespace Workbench.Notebooks.Tests;

/// <summary>#r "nuget: ..." restores through dotnet, so these tests take seconds and need the package source.</summary>
[Trait("Category", "Slow")]
public class PackageReferenceTests : IDisposable
{
    private readonly string cache = Path.Combine(Path.GetTempPath(), "wb-nuget-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(cache)) Directory.Delete(cache, recursive: true);
    }

    [Fact]
    public async Task APackageIsRestoredOnceReferencedAndUsable()
    {
        await using var executor = new CellExecutor(new CellExecutorOptions { PackageCacheDirectory = cache });
        var r = await executor.ExecuteAsync("#r \"nuget: Newtonsoft.Json, 13.0.3\"\nNewtonsoft.Json.JsonConvert.SerializeObject(new { a = 1 })");
        Assert.True(r.Status == CellStatus.Ok, r.Failure);
        Assert.Equal("{\"a\":1}", r.Outputs.OfType<ExecuteResultOutput>().Single().Data.GetText(MimeBundle.PlainText));

        var listed = Path.Combine(cache, "newtonsoft.json", "13.0.3", "resolved.txt");
        var files = File.ReadAllLines(listed);
        Assert.Contains(files, f => f.EndsWith("Newtonsoft.Json.dll", StringComparison.Ordinal));

        // The second lookup reads the list: no restore (the throwaway project could even be gone).
        File.Delete(Path.Combine(cache, "newtonsoft.json", "13.0.3", "restore.csproj"));
        var resolver = new PackageResolver(cache);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(files, await resolver.ResolveAsync("Newtonsoft.Json", "13.0.3"));
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task APackageThatIsNotServedIsAClearError()
    {
        await using var executor = new CellExecutor(new CellExecutorOptions { PackageCacheDirectory = cache });
        var r = await executor.ExecuteAsync(new CellRequest("#r \"nuget: Workbench.NoSuchPackage.Xyz, 1.0.0\"\n1", CellNumber: 4));
        Assert.Equal(CellStatus.CompileError, r.Status);
        Assert.Equal("PackageRestoreError", r.Error!.EName);
        Assert.StartsWith("cell 4, line 1: #r \"nuget: Workbench.NoSuchPackage.Xyz, 1.0.0\": the package could not be restored:", r.Failure);
        Assert.Contains("NU1101", r.Failure);
    }

    [Fact]
    public async Task MalformedIdsAndVersionsAreRefusedWithoutRestoring()
    {
        var resolver = new PackageResolver(cache);
        var id = await Assert.ThrowsAsync<PackageRestoreException>(() => resolver.ResolveAsync("bad id", "1.0"));
        Assert.Contains("'bad id' is not a package id", id.Message);
        var version = await Assert.ThrowsAsync<PackageRestoreException>(() => resolver.ResolveAsync("Ok.Id", "1.0; rm"));
        Assert.Contains("'1.0; rm' is not a version", version.Message);
        Assert.False(Directory.Exists(cache));
    }
}
