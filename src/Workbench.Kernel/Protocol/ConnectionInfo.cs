using System.Net;
using System.Text;
using System.Text.Json;

namespace Workbench.Kernel.Protocol;

/// <summary>
/// The connection file a Jupyter client writes before starting a kernel: where to bind the five sockets and
/// the key every message is signed with. Only tcp transport and hmac-sha256 signing are accepted.
/// </summary>
internal sealed record ConnectionInfo(
    string Ip, int ShellPort, int IOPubPort, int StdinPort, int ControlPort, int HeartbeatPort, byte[] Key,
    string? KernelName)
{
    /// <summary>Address used when the file names none: loopback only, never every interface.</summary>
    public const string DefaultIp = "127.0.0.1";

    /// <summary>The ZeroMQ endpoint for a port, bracketing IPv6 addresses ("tcp://[::1]:5555").</summary>
    public string Endpoint(int port) => IsIPv6 ? $"tcp://[{Ip}]:{port}"
        // ZeroMQ binds to addresses or interface names, not host names.
        : Ip == "localhost" ? $"tcp://{DefaultIp}:{port}" : $"tcp://{Ip}:{port}";

    public bool IsIPv6 => Ip.Contains(':');

    /// <summary>True for 127.0.0.0/8, ::1 and "localhost": the kernel is then reachable from this machine only.</summary>
    public bool IsLoopback => Ip == "localhost" || (IPAddress.TryParse(Ip, out var a) && IPAddress.IsLoopback(a));

    public static ConnectionInfo Load(string path)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConnectionFileException(
                $"Cannot read the kernel connection file '{path}': {e.Message} " +
                "Start the kernel through a Jupyter client, which writes this file and passes its path.", e);
        }
        return Parse(json, path);
    }

    /// <summary>Parses connection-file JSON; <paramref name="source"/> names the file in error messages.</summary>
    public static ConnectionInfo Parse(string json, string source)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' is not valid JSON ({e.Message}). " +
                "It should be the file the Jupyter client wrote; start the kernel from the client again.", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' must hold a JSON object, not {root.ValueKind}.");

        var transport = OptionalString(root, "transport", source) ?? "tcp";
        if (transport != "tcp")
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' asks for transport \"{transport}\"; this kernel supports only " +
                "\"tcp\". Configure the Jupyter client to use tcp (its default).");

        var scheme = OptionalString(root, "signature_scheme", source) ?? "hmac-sha256";
        if (scheme != "hmac-sha256")
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' asks for signature_scheme \"{scheme}\"; this kernel supports " +
                "only \"hmac-sha256\". Configure the Jupyter client to sign with hmac-sha256 (its default).");

        var key = OptionalString(root, "key", source) ?? "";
        if (key.Length == 0)
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' has an empty \"key\": messages would go unsigned and anyone who " +
                "can reach the ports could run code. Let the Jupyter client generate a key (its default).");

        var ip = OptionalString(root, "ip", source) ?? DefaultIp;
        if (ip.Length == 0 || ip == "*")
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' has ip \"{ip}\"; name the one address to listen on " +
                $"(\"{DefaultIp}\" keeps the kernel private to this machine).");

        int shell = Port(root, "shell_port", source), iopub = Port(root, "iopub_port", source),
            stdin = Port(root, "stdin_port", source), control = Port(root, "control_port", source),
            hb = Port(root, "hb_port", source);
        var ports = new[] { shell, iopub, stdin, control, hb };
        if (ports.Distinct().Count() != ports.Length)
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' reuses a port among shell {shell}, iopub {iopub}, stdin {stdin}, " +
                $"control {control}, hb {hb}; each socket needs its own port.");

        return new ConnectionInfo(ip, shell, iopub, stdin, control, hb, Encoding.UTF8.GetBytes(key),
            OptionalString(root, "kernel_name", source));
    }

    private static string? OptionalString(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' has \"{name}\" of type {value.ValueKind}; it must be a string.");
        return value.GetString();
    }

    private static int Port(JsonElement root, string name, string source)
    {
        if (!root.TryGetProperty(name, out var value))
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' has no \"{name}\"; it needs all five ports " +
                "(shell_port, iopub_port, stdin_port, control_port, hb_port).");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var port) || port is < 1 or > 65535)
            throw new ConnectionFileException(
                $"The kernel connection file '{source}' has \"{name}\": {value.GetRawText()}; a port must be an " +
                "integer from 1 to 65535.");
        return port;
    }
}

/// <summary>A connection file the kernel cannot use; the message names the file, the field and the fix.</summary>
public sealed class ConnectionFileException : KernelStartupException
{
    public ConnectionFileException(string message, Exception? inner = null) : base(message, inner) { }
}
