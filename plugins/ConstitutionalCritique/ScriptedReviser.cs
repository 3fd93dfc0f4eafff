using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Critique;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.ConstitutionalCritique;

/// <summary>Options of the scripted reviser (the defaults fit the arithmetic task's response grammar).</summary>
public sealed class ScriptedReviserOptions
{
    /// <summary>Phrases removed from a response critiqued under a principle concerning <c>confident</c> (matched ignoring case).</summary>
    [MinLength(1)]
    public List<string> ConfidentPhrases { get; set; } = ["Surely ", "Definitely ", " Trust me.", " No doubt.", "Trust me.", "No doubt."];

    /// <summary>Written between working steps the reviser adds.</summary>
    public string StepSeparator { get; set; } = ", ";

    /// <summary>Written after working steps the reviser adds, before the rest of the response.</summary>
    public string WorkingEnd { get; set; } = ". ";
}

/// <summary>
/// Revises a response as a critique asks, for tasks with claims, through the claims contract only: a critique that
/// points at a claim gets that claim corrected (<see cref="IClaimChecker.Corrected"/>: a working step is rewritten
/// with its true result, which is carried to the later text that repeated the wrong one; the final claim gets the true
/// answer); under a principle concerning <c>confident</c> the confident phrases go; under one concerning
/// <c>shows_steps</c> a response without working gets the final claim's parts (<see cref="IClaimChecker.Split"/>,
/// each corrected) written in front, and the answer they lead to; under one concerning <c>agrees_with_hint</c> a
/// critique that points at nothing gets the final claim checked and corrected. A critique that finds no flaw changes
/// nothing, and neither does one pointing at a true claim: a revision never makes a right answer wrong.
/// </summary>
/// <param name="claims">The task's claim checker.</param>
/// <param name="options">The reviser's phrasing.</param>
public sealed partial class ScriptedReviser(IClaimChecker claims, ScriptedReviserOptions options)
{
    /// <summary>The revised text, or the response's own text when there is nothing to change.</summary>
    /// <param name="response">The response critiqued.</param>
    /// <param name="principle">The principle it was critiqued under, or null.</param>
    /// <param name="critique">The critique.</param>
    /// <returns>The revision's text.</returns>
    public string Revise(Response response, Principle? principle, Critique critique)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(critique);
        if (!critique.Flawed)
        {
            return response.Text;
        }
        IList<string> concerns = principle?.Concerns ?? [];
        string text = response.Text;
        IReadOnlyList<Claim> found = claims.Claims(response);
        if (critique.ClaimIndex is int index && index >= 0 && index < found.Count)
        {
            text = Correct(text, found[index]);
        }
        else if (concerns.Contains(GoldFeatures.AgreesWithHint) || concerns.Contains(GoldFeatures.Correct) || concerns.Contains(GoldFeatures.StepErrors))
        {
            if (found.LastOrDefault(c => c.IsFinal) is { } final)
            {
                text = Correct(text, final);
            }
        }
        if (concerns.Contains(GoldFeatures.ShowsSteps))
        {
            text = ShowWorking(response with { Text = text });
        }
        if (concerns.Contains(GoldFeatures.Confident))
        {
            foreach (string phrase in options.ConfidentPhrases)
            {
                text = text.Replace(phrase, "", StringComparison.OrdinalIgnoreCase);
            }
            text = text.Trim();
        }
        return text;
    }

    private string Correct(string text, Claim claim)
    {
        if (claims.Corrected(claim) is not { } corrected || corrected.Text == claim.Text)
        {
            return text;
        }
        string wrong = ResultOf(claim.Text), right = ResultOf(corrected.Text);
        int at = text.IndexOf(claim.Text, StringComparison.Ordinal);
        if (at >= 0)
        {
            // A working step: rewrite it, and carry its true result to the later text that repeated the wrong one.
            int after = at + claim.Text.Length;
            return text[..at] + corrected.Text + Number(wrong).Replace(text[after..], right);
        }
        // The final claim is not written out: its result is the last occurrence of the answer.
        Match last = Number(wrong).Matches(text).LastOrDefault() ?? Match.Empty;
        return last.Success ? text[..last.Index] + right + text[(last.Index + last.Length)..] : text;
    }

    private string ShowWorking(Response response)
    {
        IReadOnlyList<Claim> found = claims.Claims(response);
        if (found.Any(c => !c.IsFinal) || found.LastOrDefault(c => c.IsFinal) is not { } final)
        {
            return response.Text;
        }
        var parts = claims.Split(final).Select(p => claims.Corrected(p) ?? p).ToList();
        if (parts.Count == 0)
        {
            return response.Text;
        }
        string text = Correct(response.Text, final);
        return string.Join(options.StepSeparator, parts.Select(p => p.Text)) + options.WorkingEnd + text;
    }

    private static string ResultOf(string claimText) => claimText[(claimText.LastIndexOf('=') + 1)..];

    private static Regex Number(string value) => new($@"(?<![\d]){Regex.Escape(value)}(?!\d)", RegexOptions.CultureInvariant);
}
