namespace AlignFx.Abstractions.Policies;

/// <summary>
/// A policy that can say how its tokenizer splits text, so that chat models over it report token usage and
/// <c>alignfx serve</c> can name each sampled token (OpenAI's <c>logprobs</c>). Added in contracts 1.2.
/// </summary>
public interface ITokenizedPolicy : IPolicy
{
    /// <summary>How many tokens <paramref name="text"/> is under the policy's tokenizer (special tokens not counted).</summary>
    /// <param name="text">Any text, for example a prompt.</param>
    /// <returns>The token count.</returns>
    int CountTokens(string text);

    /// <summary>The text one token adds to a decoded sequence ("" for special tokens such as end-of-sequence).</summary>
    /// <param name="tokenId">A token id, as in <see cref="AlignFx.Abstractions.Tasks.Response.TokenIds"/>.</param>
    /// <returns>The token's text.</returns>
    string DecodeToken(int tokenId);
}
