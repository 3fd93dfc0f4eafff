using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;

namespace AlignFx.Critics;

/// <summary>What a critic's reply says, read through <see cref="CritiqueGrammar.Parse"/>.</summary>
public enum ReplyKind
{
    /// <summary>No flaw (<c>none</c>, <c>no error</c>, <c>no flaw</c>).</summary>
    None,
    /// <summary>A flaw at a claim: <c>step N</c> (claim N, 1-based) or <c>the answer</c> (the final claim).</summary>
    Claim,
    /// <summary>A flaw that points at no claim (<c>flaw</c>): for principles about tone, hints or working.</summary>
    Flaw,
    /// <summary>A reply outside the grammar; it counts as no critique.</summary>
    Outside,
}

/// <summary>A parsed reply.</summary>
/// <param name="Kind">What it says.</param>
/// <param name="ClaimIndex">The claim it points at (0-based), for <see cref="ReplyKind.Claim"/>.</param>
public readonly record struct ParsedReply(ReplyKind Kind, int? ClaimIndex = null);

/// <summary>
/// The text a chat critic reads and writes. A critic reads a response's claims (the task's
/// <see cref="IClaimChecker.Claims"/>, which carry no truth) in one line, its working steps numbered and its final claim
/// after a full stop: <c>1 73*60=4380, 2 4380+19=4409. 73*60+19=4409</c>. It replies, at the start of its reply and
/// ignoring case: <c>step N ...</c> (claim N is wrong, 1-based), <c>the answer ...</c> or <c>answer ...</c> (the final
/// claim is wrong), <c>flaw</c> (the principle is broken, at no claim), or <c>none</c> / <c>no error</c> /
/// <c>no flaw</c>. Anything else is outside the grammar.
/// </summary>
public static partial class CritiqueGrammar
{
    /// <summary>The replies the grammar accepts, for messages.</summary>
    public const string Forms = "'step N', 'the answer', 'flaw' or 'none'";

    /// <summary>The claims of a response in one line, as a critic reads them.</summary>
    /// <param name="claims">The response's claims, in order (steps, then the final claim).</param>
    /// <returns>The line; empty when there are no claims.</returns>
    public static string Input(IReadOnlyList<Claim> claims)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var text = new StringBuilder();
        int step = 0;
        foreach (Claim claim in claims)
        {
            if (claim.IsFinal)
            {
                text.Append(step > 0 ? ". " : "").Append(claim.Text);
            }
            else
            {
                text.Append(step > 0 ? ", " : "").Append(string.Create(CultureInfo.InvariantCulture, $"{++step} ")).Append(claim.Text);
            }
        }
        return text.ToString();
    }

    /// <summary>The index of the earliest false claim, or −1.</summary>
    /// <param name="truth">Each claim's truth; null counts as true.</param>
    /// <returns>The index.</returns>
    public static int EarliestFalse(IReadOnlyList<bool?> truth)
    {
        ArgumentNullException.ThrowIfNull(truth);
        for (int i = 0; i < truth.Count; i++)
        {
            if (truth[i] == false)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Reads a reply against the response's claims.</summary>
    /// <param name="reply">The critic's reply.</param>
    /// <param name="claims">The response's claims, or null when the task has none (then <c>step N</c> points at nothing but still flags).</param>
    /// <returns>What the reply says; <c>step N</c> beyond the steps, or <c>the answer</c> for a response without a final claim, is outside the grammar.</returns>
    public static ParsedReply Parse(string? reply, IReadOnlyList<Claim>? claims)
    {
        if (reply is null)
        {
            return new ParsedReply(ReplyKind.Outside);
        }
        Match match = Grammar().Match(reply);
        if (!match.Success)
        {
            return new ParsedReply(ReplyKind.Outside);
        }
        if (match.Groups["none"].Success)
        {
            return new ParsedReply(ReplyKind.None);
        }
        if (match.Groups["flaw"].Success)
        {
            return new ParsedReply(ReplyKind.Flaw);
        }
        if (match.Groups["answer"].Success)
        {
            if (claims is null)
            {
                return new ParsedReply(ReplyKind.Flaw);
            }
            return claims.Count > 0 && claims[^1].IsFinal ? new ParsedReply(ReplyKind.Claim, claims.Count - 1) : new ParsedReply(ReplyKind.Outside);
        }
        if (!int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 1)
        {
            return new ParsedReply(ReplyKind.Outside);
        }
        if (claims is null)
        {
            return new ParsedReply(ReplyKind.Flaw);
        }
        int steps = claims.Count(c => !c.IsFinal);
        return n <= steps ? new ParsedReply(ReplyKind.Claim, n - 1) : new ParsedReply(ReplyKind.Outside);
    }

    /// <summary>The critique a parsed reply makes.</summary>
    /// <param name="critic">The critic's component name.</param>
    /// <param name="principle">The principle, or null.</param>
    /// <param name="parsed">The parsed reply.</param>
    /// <param name="reply">The reply as given (quoted in a critique outside the grammar).</param>
    /// <param name="claims">The response's claims (for the critique's text).</param>
    /// <returns>The critique; a reply outside the grammar is no critique, and says so.</returns>
    public static Critique ToCritique(string critic, Principle? principle, ParsedReply parsed, string? reply, IReadOnlyList<Claim>? claims) => parsed.Kind switch
    {
        ReplyKind.Claim when claims is not null && parsed.ClaimIndex is { } i => new Critique(critic, principle?.Name, true,
            claims[i].IsFinal ? $"The final answer is wrong: {claims[i].Text}." : string.Create(CultureInfo.InvariantCulture, $"Step {i + 1} is wrong: {claims[i].Text}."), i),
        ReplyKind.Claim or ReplyKind.Flaw => new Critique(critic, principle?.Name, true,
            principle is null ? $"The response has a flaw ({Quote(reply)})." : $"The response breaks '{principle.Name}' ({Quote(reply)})."),
        ReplyKind.None => new Critique(critic, principle?.Name, false, "No flaw found."),
        _ => new Critique(critic, principle?.Name, false, $"No critique: the reply {Quote(reply)} is outside the grammar ({Forms})."),
    };

    /// <summary>A reply, trimmed and shortened, in quotes.</summary>
    internal static string Quote(string? reply)
    {
        string text = (reply ?? "").Trim().ReplaceLineEndings(" ");
        return "'" + (text.Length > 60 ? text[..60] + "…" : text) + "'";
    }

    [GeneratedRegex(@"^\s*(?:(?<none>none|no\s+(?:error|flaw|mistake)s?)|(?<flaw>flaw)|(?<answer>(?:the\s+)?(?:final\s+)?answer)|(?:step|claim)\s+(?<n>\d{1,4}))\b",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}
