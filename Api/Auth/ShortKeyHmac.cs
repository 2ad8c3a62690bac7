using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;

namespace Kodosumi.Api.Auth;

/// <summary>
/// HS256 with a key shorter than 256 bits. Microsoft.IdentityModel refuses such keys (IDX10720, following
/// RFC 7518 §3.2), but Kodosumi (PyJWT) signs with whatever <c>KODO_SECRET_KEY</c> holds, so its tokens must
/// still verify. Only the key-length check is bypassed: the HMAC is .NET's <see cref="HMACSHA256"/> and the
/// comparison is constant-time. Used only when the secret is that short.
/// </summary>
public static class ShortKeyHmac
{
    /// <summary>The shortest HS256 key Microsoft.IdentityModel accepts.</summary>
    public const int LibraryMinimumBits = 256;

    public sealed class Factory : CryptoProviderFactory
    {
        public override SignatureProvider CreateForSigning(SecurityKey key, string algorithm) =>
            IsHs256(key, algorithm) ? new Provider((SymmetricSecurityKey)key) : base.CreateForSigning(key, algorithm);

        public override SignatureProvider CreateForVerifying(SecurityKey key, string algorithm) =>
            IsHs256(key, algorithm) ? new Provider((SymmetricSecurityKey)key) : base.CreateForVerifying(key, algorithm);

        public override bool IsSupportedAlgorithm(string algorithm, SecurityKey key) =>
            IsHs256(key, algorithm) || base.IsSupportedAlgorithm(algorithm, key);

        public override void ReleaseSignatureProvider(SignatureProvider signatureProvider)
        {
            if (signatureProvider is Provider) signatureProvider.Dispose();
            else base.ReleaseSignatureProvider(signatureProvider);
        }

        static bool IsHs256(SecurityKey key, string algorithm) => key is SymmetricSecurityKey && algorithm == SecurityAlgorithms.HmacSha256;
    }

    sealed class Provider(SymmetricSecurityKey key) : SignatureProvider(key, SecurityAlgorithms.HmacSha256)
    {
        readonly byte[] _key = key.Key;

        public override byte[] Sign(byte[] input) => HMACSHA256.HashData(_key, input);

        public override byte[] Sign(byte[] input, int offset, int count) => HMACSHA256.HashData(_key, input.AsSpan(offset, count));

        public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten) =>
            HMACSHA256.TryHashData(_key, data, destination, out bytesWritten);

        public override bool Verify(byte[] input, byte[] signature) =>
            CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_key, input), signature);

        public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength) =>
            CryptographicOperations.FixedTimeEquals(
                HMACSHA256.HashData(_key, input.AsSpan(inputOffset, inputLength)), signature.AsSpan(signatureOffset, signatureLength));

        protected override void Dispose(bool disposing) { }
    }
}
