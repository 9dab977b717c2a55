using System.Text;
using Workbench.Kernel.Protocol;

namespace Workbench.Kernel.Tests.Protocol;

public class ConnectionInfoTests
{
    private const string Valid = """
        {"shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003, "control_port": 5004, "hb_port": 5005,
         "ip": "127.0.0.1", "key": "a0436f6c-1916-498b-8eb9-e81ab9368e84", "transport": "tcp",
         "signature_scheme": "hmac-sha256", "kernel_name": "workbench-csharp"}
        """;

    [Fact]
    public void ParsesWhatJupyterClientWrites()
    {
        var info = ConnectionInfo.Parse(Valid, "kernel-1.json");
        Assert.Equal((5001, 5002, 5003, 5004, 5005), (info.ShellPort, info.IOPubPort, info.StdinPort, info.ControlPort, info.HeartbeatPort));
        Assert.Equal("a0436f6c-1916-498b-8eb9-e81ab9368e84", Encoding.UTF8.GetString(info.Key));
        Assert.Equal("workbench-csharp", info.KernelName);
        Assert.Equal("tcp://127.0.0.1:5001", info.Endpoint(info.ShellPort));
        Assert.True(info.IsLoopback);
    }

    [Fact]
    public void DefaultsToLoopbackAndHandlesIPv6AndLocalhost()
    {
        var noIp = ConnectionInfo.Parse(Valid.Replace("\"ip\": \"127.0.0.1\",", ""), "f");
        Assert.Equal("127.0.0.1", noIp.Ip);
        var v6 = ConnectionInfo.Parse(Valid.Replace("127.0.0.1", "::1"), "f");
        Assert.Equal("tcp://[::1]:5002", v6.Endpoint(5002));
        Assert.True(v6.IsIPv6 && v6.IsLoopback);
        Assert.Equal("tcp://127.0.0.1:5003", ConnectionInfo.Parse(Valid.Replace("127.0.0.1", "localhost"), "f").Endpoint(5003));
        Assert.False(ConnectionInfo.Parse(Valid.Replace("127.0.0.1", "0.0.0.0"), "f").IsLoopback);
    }

    [Theory]
    [InlineData("\"transport\": \"tcp\"", "\"transport\": \"ipc\"", "transport \"ipc\"")]
    [InlineData("\"signature_scheme\": \"hmac-sha256\"", "\"signature_scheme\": \"hmac-md5\"", "signature_scheme \"hmac-md5\"")]
    [InlineData("\"key\": \"a0436f6c-1916-498b-8eb9-e81ab9368e84\"", "\"key\": \"\"", "empty \"key\"")]
    [InlineData("\"hb_port\": 5005", "\"hb_port\": 70000", "\"hb_port\": 70000")]
    [InlineData("\"hb_port\": 5005", "\"hb_port\": \"5005\"", "must be an integer")]
    [InlineData("\"hb_port\": 5005,", "", "no \"hb_port\"")]
    [InlineData("\"hb_port\": 5005", "\"hb_port\": 5001", "reuses a port")]
    [InlineData("\"ip\": \"127.0.0.1\"", "\"ip\": \"*\"", "name the one address")]
    [InlineData("\"ip\": \"127.0.0.1\"", "\"ip\": 127", "\"ip\" of type Number")]
    public void BadFieldsAreNamedInTheError(string from, string to, string expected)
    {
        Assert.Contains(from, Valid);
        var e = Assert.Throws<ConnectionFileException>(() => ConnectionInfo.Parse(Valid.Replace(from, to), "kernel-9.json"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("kernel-9.json", e.Message);
    }

    [Fact]
    public void UnreadableOrMalformedFilesSayWhatToDo()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid()}.json");
        var e = Assert.Throws<ConnectionFileException>(() => ConnectionInfo.Load(missing));
        Assert.Contains(missing, e.Message);
        Assert.Contains("Jupyter client", e.Message);
        Assert.Contains("not valid JSON", Assert.Throws<ConnectionFileException>(() => ConnectionInfo.Parse("{", "f")).Message);
        Assert.Contains("JSON object", Assert.Throws<ConnectionFileException>(() => ConnectionInfo.Parse("[1]", "f")).Message);
    }

    [Fact]
    public async Task RunAsyncReportsABadConnectionFileAsAStartupError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"wb-kernel-{Guid.NewGuid()}.json");
        await File.WriteAllTextAsync(path, Valid.Replace("\"tcp\"", "\"ipc\""));
        try
        {
            var e = await Assert.ThrowsAsync<ConnectionFileException>(
                () => KernelHost.RunAsync(path, new TestHost.EchoBackend()));
            Assert.IsAssignableFrom<KernelStartupException>(e);
            Assert.Contains("only \"tcp\"", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
