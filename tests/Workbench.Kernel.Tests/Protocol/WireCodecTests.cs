using System.Text;
using System.Text.Json.Nodes;
using Workbench.Kernel.Protocol;

namespace Workbench.Kernel.Tests.Protocol;

public class WireCodecTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static readonly byte[] Header = B("{\"msg_id\":\"id-1\",\"msg_type\":\"execute_request\",\"session\":\"s\",\"username\":\"u\",\"date\":\"2024-01-01T00:00:00Z\",\"version\":\"5.3\"}");

    [Fact]
    public void EncodeLaysOutIdentitiesDelimiterSignatureFourPartsAndBuffers()
    {
        using var signer = new MessageSigner(B("key"));
        var frames = WireCodec.Encode([B("route-1"), B("route-2")], Header, B("{}"), B("{\"m\":1}"), B("{\"code\":\"echo hi\"}"),
            [B("buffer")], signer);
        Assert.Equal(9, frames.Count);
        Assert.Equal("route-1", Encoding.UTF8.GetString(frames[0]));
        Assert.Equal("route-2", Encoding.UTF8.GetString(frames[1]));
        Assert.Equal("<IDS|MSG>", Encoding.UTF8.GetString(frames[2]));
        Assert.Equal(signer.Sign(Header, B("{}"), B("{\"m\":1}"), B("{\"code\":\"echo hi\"}")), frames[3]);
        Assert.Equal(Header, frames[4]);
        Assert.Equal("buffer", Encoding.UTF8.GetString(frames[8]));
    }

    [Fact]
    public void DecodeRoundTripsAndKeepsTheRawHeader()
    {
        using var signer = new MessageSigner(B("key"));
        var frames = WireCodec.Encode([B("route")], Header, B("{\"msg_id\":\"parent\"}"), B("{\"m\":1}"),
            B("{\"code\":\"échø 😀\"}"), [B("buf")], signer);
        var message = WireCodec.Decode(frames, signer, new ReplayGuard(), out var rejection);
        Assert.Null(rejection);
        Assert.NotNull(message);
        Assert.Equal("execute_request", message.MsgType);
        Assert.Equal("id-1", message.MsgId);
        Assert.Same(Header, message.RawHeader);
        Assert.Equal("parent", message.ParentHeader["msg_id"]!.GetValue<string>());
        Assert.Equal(1, message.Metadata["m"]!.GetValue<int>());
        Assert.Equal("échø 😀", message.Content["code"]!.GetValue<string>());
        Assert.Equal("route", Encoding.UTF8.GetString(Assert.Single(message.Identities)));
        Assert.Equal("buf", Encoding.UTF8.GetString(Assert.Single(message.Buffers)));
    }

    [Fact]
    public void SessionSerializeWritesAProtocolHeaderAndParent()
    {
        using var signer = new MessageSigner(B("key"));
        var session = new KernelSession(signer, "session-1");
        var frames = session.Serialize([B("topic")], "stream", new JsonObject { ["name"] = "stdout", ["text"] = "é\n" }, Header);
        var message = WireCodec.Decode(frames, signer, null, out _)!;
        Assert.Equal("stream", message.MsgType);
        Assert.Equal("session-1", message.Header["session"]!.GetValue<string>());
        Assert.Equal("5.3", message.Header["version"]!.GetValue<string>());
        Assert.Equal("workbench", message.Header["username"]!.GetValue<string>());
        Assert.True(Guid.TryParse(message.MsgId, out _));
        Assert.True(DateTime.TryParse(message.Header["date"]!.GetValue<string>(), out _));
        Assert.Equal("id-1", message.ParentHeader["msg_id"]!.GetValue<string>());
        Assert.Equal("é\n", message.Content["text"]!.GetValue<string>());
        // Non-ASCII text is written as UTF-8, not \u escapes.
        Assert.Contains("é", Encoding.UTF8.GetString(frames[^1]));
        // With no parent the parent header is the empty object.
        var orphan = WireCodec.Decode(session.Serialize([], "status", new JsonObject(), null), signer, null, out _)!;
        Assert.Empty(orphan.ParentHeader);
    }

    [Fact]
    public void DecodeRejectsBadFramesWithAReason()
    {
        using var signer = new MessageSigner(B("key"));
        using var wrong = new MessageSigner(B("other"));
        var good = WireCodec.Encode([], Header, B("{}"), B("{}"), B("{}"), [], signer);

        AssertRejected(signer, [B("a"), B("b")], "no <IDS|MSG> delimiter");
        AssertRejected(signer, good.Take(5).ToList(), "only 4 frames after the delimiter");
        var unsigned = good.ToList();
        unsigned[1] = [];
        AssertRejected(signer, unsigned, "unsigned");
        AssertRejected(signer, WireCodec.Encode([], Header, B("{}"), B("{}"), B("{}"), [], wrong), "invalid signature");
        var tampered = good.ToList();
        tampered[5] = B("{\"code\":\"evil\"}");
        AssertRejected(signer, tampered, "invalid signature");
        AssertRejected(signer, WireCodec.Encode([], B("[1]"), B("{}"), B("{}"), B("{}"), [], signer), "header is not a JSON object");
        AssertRejected(signer, WireCodec.Encode([], B("{\"msg_id\":\"x\"}"), B("{}"), B("{}"), B("{}"), [], signer), "msg_type");
        AssertRejected(signer, WireCodec.Encode([], Header, B("{}"), B("{}"), B("not json"), [], signer), "");

        var guard = new ReplayGuard();
        Assert.NotNull(WireCodec.Decode(good, signer, guard, out _));
        Assert.Null(WireCodec.Decode(good, signer, guard, out var replay));
        Assert.Contains("replayed", replay);
    }

    private static void AssertRejected(MessageSigner signer, List<byte[]> frames, string reason)
    {
        Assert.Null(WireCodec.Decode(frames, signer, null, out var rejection));
        Assert.NotNull(rejection);
        Assert.Contains(reason, rejection);
    }
}
