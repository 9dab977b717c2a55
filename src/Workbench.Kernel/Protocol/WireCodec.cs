using System.Text.Json;
using System.Text.Json.Nodes;

namespace Workbench.Kernel.Protocol;

/// <summary>
/// The Jupyter wire format (messaging protocol v5): a multipart ZeroMQ message
/// <c>[identities..., "&lt;IDS|MSG&gt;", signature, header, parent_header, metadata, content, buffers...]</c>.
/// The identities are routing ids added by ROUTER sockets (or a topic on IOPub) and are not signed.
/// </summary>
internal static class WireCodec
{
    public static ReadOnlySpan<byte> Delimiter => "<IDS|MSG>"u8;

    /// <summary>Frames after the delimiter that every message has: signature and the four JSON parts.</summary>
    public const int RequiredFrames = 5;

    public static List<byte[]> Encode(IReadOnlyList<byte[]> identities, byte[] header, byte[] parentHeader,
        byte[] metadata, byte[] content, IReadOnlyList<byte[]> buffers, MessageSigner signer)
    {
        var frames = new List<byte[]>(identities.Count + RequiredFrames + 1 + buffers.Count);
        frames.AddRange(identities);
        frames.Add(Delimiter.ToArray());
        frames.Add(signer.Sign(header, parentHeader, metadata, content));
        frames.Add(header);
        frames.Add(parentHeader);
        frames.Add(metadata);
        frames.Add(content);
        frames.AddRange(buffers);
        return frames;
    }

    /// <summary>
    /// Checks and parses incoming frames. The signature is verified (and the replay guard consulted) before
    /// any JSON is parsed, so nothing an unauthenticated sender wrote is interpreted. Returns the message, or
    /// null with <paramref name="rejection"/> saying why it was refused.
    /// </summary>
    public static JupyterMessage? Decode(IReadOnlyList<byte[]> frames, MessageSigner signer, ReplayGuard? replayGuard,
        out string? rejection)
    {
        var delimiter = -1;
        for (var i = 0; i < frames.Count; i++)
            if (frames[i].AsSpan().SequenceEqual(Delimiter)) { delimiter = i; break; }
        if (delimiter < 0)
        {
            rejection = $"no <IDS|MSG> delimiter among its {frames.Count} frames";
            return null;
        }
        if (frames.Count - delimiter - 1 < RequiredFrames)
        {
            rejection = $"only {frames.Count - delimiter - 1} frames after the delimiter; a message needs " +
                "signature, header, parent_header, metadata and content";
            return null;
        }
        var s = delimiter + 1;
        byte[] signature = frames[s], header = frames[s + 1], parent = frames[s + 2], metadata = frames[s + 3],
            content = frames[s + 4];
        if (signature.Length == 0)
        {
            rejection = "unsigned message (empty signature frame)";
            return null;
        }
        if (!signer.Verify(signature, header, parent, metadata, content))
        {
            rejection = "invalid signature (not signed with this kernel's key)";
            return null;
        }
        if (replayGuard is not null && !replayGuard.TryRecord(signature))
        {
            rejection = "replayed message (its signature was already accepted once)";
            return null;
        }

        JsonObject headerObject, parentObject, metadataObject, contentObject;
        try
        {
            headerObject = ParseObject(header, "header");
            parentObject = ParseObject(parent, "parent_header");
            metadataObject = ParseObject(metadata, "metadata");
            contentObject = ParseObject(content, "content");
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            rejection = e.Message;
            return null;
        }
        if (headerObject["msg_type"] is not JsonValue type || type.GetValueKind() != JsonValueKind.String ||
            headerObject["msg_id"] is not JsonValue id || id.GetValueKind() != JsonValueKind.String)
        {
            rejection = "header lacks a string msg_type or msg_id";
            return null;
        }

        rejection = null;
        return new JupyterMessage
        {
            Identities = frames.Take(delimiter).ToArray(),
            RawHeader = header,
            Header = headerObject,
            ParentHeader = parentObject,
            Metadata = metadataObject,
            Content = contentObject,
            Buffers = frames.Skip(s + RequiredFrames).ToArray(),
        };
    }

    private static JsonObject ParseObject(byte[] utf8, string part) =>
        JsonNode.Parse(utf8) as JsonObject ?? throw new FormatException($"{part} is not a JSON object");
}
