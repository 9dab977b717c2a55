using System.Security.Cryptography;

namespace Workbench.Kernel.Protocol;

/// <summary>
/// HMAC-SHA256 over the four JSON frames of a Jupyter message (header, parent_header, metadata, content, in
/// that order and nothing else), written as lowercase hex: the signature scheme of messaging protocol v5.
/// Thread-safe: shell, control and IOPub sign from different threads.
/// </summary>
internal sealed class MessageSigner : IDisposable
{
    /// <summary>Hex digits of an HMAC-SHA256 signature.</summary>
    public const int SignatureLength = 64;

    private readonly IncrementalHash _hmac;
    private readonly Lock _lock = new();

    public MessageSigner(byte[] key)
    {
        if (key.Length == 0)
            throw new ArgumentException("The signing key is empty; an unsigned kernel would run anyone's code.", nameof(key));
        _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
    }

    /// <summary>The signature frame for these four parts: 64 lowercase hex ASCII bytes.</summary>
    public byte[] Sign(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parentHeader, ReadOnlySpan<byte> metadata,
        ReadOnlySpan<byte> content)
    {
        Span<byte> mac = stackalloc byte[32];
        Compute(header, parentHeader, metadata, content, mac);
        var hex = new byte[SignatureLength];
        Convert.TryToHexStringLower(mac, hex, out _);
        return hex;
    }

    /// <summary>
    /// True when <paramref name="signature"/> is the hex HMAC of the four parts. The digests are compared in
    /// constant time so response timing does not reveal how many leading bytes of a forgery were right.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> header, ReadOnlySpan<byte> parentHeader,
        ReadOnlySpan<byte> metadata, ReadOnlySpan<byte> content)
    {
        if (signature.Length != SignatureLength) return false;
        // Non-ASCII bytes decode to '?', which the hex parser then rejects.
        Span<char> hex = stackalloc char[SignatureLength];
        System.Text.Encoding.ASCII.GetChars(signature, hex);
        Span<byte> claimed = stackalloc byte[32];
        if (Convert.FromHexString(hex, claimed, out _, out var written) != System.Buffers.OperationStatus.Done ||
            written != 32)
            return false;
        Span<byte> expected = stackalloc byte[32];
        Compute(header, parentHeader, metadata, content, expected);
        return CryptographicOperations.FixedTimeEquals(claimed, expected);
    }

    private void Compute(ReadOnlySpan<byte> header, ReadOnlySpan<byte> parentHeader, ReadOnlySpan<byte> metadata,
        ReadOnlySpan<byte> content, Span<byte> mac)
    {
        lock (_lock)
        {
            _hmac.AppendData(header);
            _hmac.AppendData(parentHeader);
            _hmac.AppendData(metadata);
            _hmac.AppendData(content);
            _hmac.GetHashAndReset(mac);
        }
    }

    public void Dispose() => _hmac.Dispose();
}

/// <summary>
/// Remembers the signatures of recently accepted messages so a captured message replayed verbatim is refused
/// (every genuine message carries a fresh msg_id, so its signature never repeats). Bounded: the oldest
/// signatures are forgotten first once <see cref="Capacity"/> is reached.
/// </summary>
internal sealed class ReplayGuard
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public ReplayGuard(int capacity = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Records a verified signature; false if it was already seen (a replay).</summary>
    public bool TryRecord(ReadOnlySpan<byte> signature)
    {
        // Hex case is not significant; normalise so "AB.." cannot slip past a recorded "ab..".
        var key = System.Text.Encoding.ASCII.GetString(signature).ToLowerInvariant();
        lock (_lock)
        {
            if (!_seen.Add(key)) return false;
            _order.Enqueue(key);
            if (_order.Count > Capacity) _seen.Remove(_order.Dequeue());
            return true;
        }
    }
}
