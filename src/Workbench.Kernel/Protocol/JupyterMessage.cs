using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workbench.Kernel.Protocol;

/// <summary>
/// A verified incoming message. <see cref="RawHeader"/> keeps the exact signed header bytes: replies use them
/// verbatim as their parent_header, so the client sees precisely the header it sent.
/// </summary>
internal sealed class JupyterMessage
{
    public required IReadOnlyList<byte[]> Identities { get; init; }
    public required byte[] RawHeader { get; init; }
    public required JsonObject Header { get; init; }
    public required JsonObject ParentHeader { get; init; }
    public required JsonObject Metadata { get; init; }
    public required JsonObject Content { get; init; }
    public required IReadOnlyList<byte[]> Buffers { get; init; }

    public string MsgType => Header["msg_type"]!.GetValue<string>();
    public string MsgId => Header["msg_id"]!.GetValue<string>();
}

/// <summary>JSON writing shared by the protocol: compact UTF-8, non-ASCII text kept as is rather than escaped.</summary>
internal static class Json
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ToUtf8(JsonNode node)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions)) node.WriteTo(writer);
        return stream.ToArray();
    }

    /// <summary>The empty object "{}", the parent_header of messages that answer nothing.</summary>
    public static readonly byte[] EmptyObject = "{}"u8.ToArray();
}

/// <summary>
/// The kernel's side of a Jupyter session: makes headers (msg_id, session, username, date, msg_type,
/// version) and serialises and signs outgoing messages.
/// </summary>
internal sealed class KernelSession
{
    /// <summary>The messaging protocol version this kernel implements.</summary>
    public const string ProtocolVersion = "5.3";

    public const string Username = "workbench";

    public KernelSession(MessageSigner signer, string? sessionId = null)
    {
        Signer = signer;
        SessionId = sessionId ?? Guid.NewGuid().ToString();
    }

    public MessageSigner Signer { get; }
    public string SessionId { get; }

    /// <summary>A header for a new message; the date is UTC ISO 8601 with microseconds, as the spec asks.</summary>
    public JsonObject NewHeader(string msgType) => new()
    {
        ["msg_id"] = Guid.NewGuid().ToString(),
        ["session"] = SessionId,
        ["username"] = Username,
        ["date"] = Now(),
        ["msg_type"] = msgType,
        ["version"] = ProtocolVersion,
    };

    public static string Now() => DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Wire frames for a message: <paramref name="identities"/> (ROUTER routing ids or an IOPub topic), the
    /// delimiter, signature, header, parent header, metadata, content.
    /// </summary>
    public List<byte[]> Serialize(IReadOnlyList<byte[]> identities, string msgType, JsonObject content,
        byte[]? parentHeader, JsonObject? metadata = null)
    {
        var header = Json.ToUtf8(NewHeader(msgType));
        return WireCodec.Encode(identities, header, parentHeader ?? Json.EmptyObject,
            metadata is null ? Json.EmptyObject : Json.ToUtf8(metadata), Json.ToUtf8(content), [], Signer);
    }
}
