using System.Text;
using Workbench.Kernel.Protocol;

namespace Workbench.Kernel.Tests.Protocol;

public class MessageSignerTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void SignsTheConcatenationOfTheFourParts()
    {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?"). Spread over the four
        // parts, the signature must equal the HMAC of their concatenation.
        using var signer = new MessageSigner(B("Jefe"));
        var signature = signer.Sign(B("what do ya"), B(" want "), B("for "), B("nothing?"));
        Assert.Equal("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", Encoding.ASCII.GetString(signature));
    }

    [Fact]
    public void MatchesJupyterClientsSignature()
    {
        // Computed once with jupyter_client.session.Session(key=b"workbench-test-key").sign([header, b"{}", b"{}", b"{}"]).
        using var signer = new MessageSigner(B("workbench-test-key"));
        var header = B("{\"msg_id\":\"m1\",\"msg_type\":\"kernel_info_request\"}");
        var signature = signer.Sign(header, B("{}"), B("{}"), B("{}"));
        Assert.Equal("a2c62cae6dba1543c98752b44ce9b738261113d12e523a604f5052bbc31b029a", Encoding.ASCII.GetString(signature));
        Assert.True(signer.Verify(signature, header, B("{}"), B("{}"), B("{}")));
    }

    [Fact]
    public void VerifyRejectsTamperingWrongKeysAndMalformedSignatures()
    {
        using var signer = new MessageSigner(B("k1"));
        using var other = new MessageSigner(B("k2"));
        byte[] h = B("{\"a\":1}"), p = B("{}"), m = B("{}"), c = B("{\"code\":\"x\"}");
        var good = signer.Sign(h, p, m, c);
        Assert.True(signer.Verify(good, h, p, m, c));
        // Hex case does not change the digest, so an upper-case signature verifies too.
        Assert.True(signer.Verify(Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(good).ToUpperInvariant()), h, p, m, c));
        Assert.False(signer.Verify(good, h, p, m, B("{\"code\":\"y\"}")));   // content changed
        Assert.False(signer.Verify(good, B("{\"a\":2}"), p, m, c));          // header changed
        Assert.False(other.Verify(good, h, p, m, c));                        // other key
        Assert.False(signer.Verify([], h, p, m, c));                         // unsigned
        Assert.False(signer.Verify(good.AsSpan(0, 63), h, p, m, c));         // truncated
        var notHex = (byte[])good.Clone();
        notHex[5] = (byte)'g';
        Assert.False(signer.Verify(notHex, h, p, m, c));
        var flipped = (byte[])good.Clone();
        flipped[^1] = flipped[^1] == (byte)'0' ? (byte)'1' : (byte)'0';
        Assert.False(signer.Verify(flipped, h, p, m, c));
    }

    [Fact]
    public void EmptyKeyIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new MessageSigner([]));
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void ReplayGuardRefusesRepeatsAndForgetsOldestBeyondCapacity()
    {
        var guard = new ReplayGuard(capacity: 2);
        Assert.True(guard.TryRecord(B("aa")));
        Assert.False(guard.TryRecord(B("aa")));
        Assert.False(guard.TryRecord(B("AA")));   // same digest in upper case
        Assert.True(guard.TryRecord(B("bb")));
        Assert.True(guard.TryRecord(B("cc")));    // evicts "aa"
        Assert.True(guard.TryRecord(B("aa")));
        Assert.False(guard.TryRecord(B("cc")));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayGuard(0));
    }
}
