using System.ComponentModel.DataAnnotations;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Abstractions.Critique;

/// <summary>
/// A model that critiques responses: constitutional critique → revision, assisted labelling, critics as judges'
/// helpers. Components of the <c>critic</c> kind implement it. Added in contracts 2.1.
/// </summary>
public interface ICritic
{
    /// <summary>Critiques <paramref name="response"/>, under <paramref name="principle"/> when one is given.</summary>
    /// <param name="response">The response, with its prompt.</param>
    /// <param name="principle">The principle to apply, or null for a general critique (any flaw).</param>
    /// <param name="ct">Stops a model call.</param>
    /// <returns>The critique.</returns>
    Task<Critique> CritiqueAsync(Response response, Principle? principle, CancellationToken ct);
}

/// <summary>A critic's finding about one response.</summary>
/// <param name="Critic">The critic's component name.</param>
/// <param name="Principle">The principle's name, or null for a general critique.</param>
/// <param name="Flawed">Whether the critic says the response breaks the principle (or, generally, has a flaw).</param>
/// <param name="Text">The critique as a reader sees it.</param>
/// <param name="ClaimIndex">
/// The index, in <see cref="Claims.IClaimChecker.Claims"/> of the response, of the claim the critique points at, or
/// null when it points at none.
/// </param>
public sealed record Critique(string Critic, string? Principle, bool Flawed, string Text, int? ClaimIndex = null)
{
    /// <summary>What the critique cost, in model calls (a simulated critic's own cost unit otherwise).</summary>
    public double Cost { get; init; }

    /// <summary>Tokens read and written for it (0 for a simulated critic).</summary>
    public int Tokens { get; init; }
}

/// <summary>
/// One principle of a constitution, as a manifest writes it (an option class the host binds and validates):
/// <c>{ "name": "wrong-steps", "description": "Point out any working step that is wrong.", "critique": {...},
/// "revision": {...}, "weight": 1, "concerns": ["step_errors"] }</c>.
/// </summary>
public sealed class Principle
{
    /// <summary>A short name, unique within its constitution; logs and reports group by it.</summary>
    [Required]
    public string Name { get; set; } = "";

    /// <summary>What the principle asks, in one sentence (shown in reports and disclosure cards).</summary>
    public string Description { get; set; } = "";

    /// <summary>The critique request a chat critic is asked (variables: prompt, response, principle).</summary>
    [RoleVariables("prompt", "response", "principle")]
    public RolePrompt? Critique { get; set; }

    /// <summary>The revision request a chat reviser is asked (variables: prompt, response, principle, critique).</summary>
    [RoleVariables("prompt", "response", "principle", "critique")]
    public RolePrompt? Revision { get; set; }

    /// <summary>Relative weight when a principle is sampled.</summary>
    [Range(0.0, double.MaxValue)]
    public double Weight { get; set; } = 1;

    /// <summary>The gold features it concerns (<see cref="GoldFeatures"/> names), for per-principle agreement in reports; empty when none.</summary>
    public IList<string> Concerns { get; set; } = [];
}
