using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Debate;

/// <summary>
/// What a debater may use of the task's claims: a response's claims, the split of a claim, and the corrected claim (a
/// simulated debater's stated skill), but never the judge's <see cref="IClaimChecker.Check"/>.
/// </summary>
/// <param name="checker">The task's claim checker.</param>
public sealed class DebaterClaimView(IClaimChecker checker)
{
    /// <summary>The claims of a response (see <see cref="IClaimChecker.Claims"/>).</summary>
    /// <param name="response">A response.</param>
    /// <returns>Its steps and final claim.</returns>
    public IReadOnlyList<Claim> Claims(Response response) => checker.Claims(response);

    /// <summary>The parts of a claim (see <see cref="IClaimChecker.Split"/>).</summary>
    /// <param name="claim">A claim.</param>
    /// <returns>Its parts, or empty.</returns>
    public IReadOnlyList<Claim> Split(Claim claim) => checker.Split(claim);

    /// <summary>Whether a fully skilled solver would state <paramref name="claim"/> as it is.</summary>
    /// <param name="claim">A claim.</param>
    /// <returns>True when its corrected form has the same text.</returns>
    public bool Believes(Claim claim) => checker.Corrected(claim) is { } corrected && corrected.Text == claim.Text;
}

/// <summary>What a debater defends: its answer's final claim and the chain it states for it.</summary>
/// <param name="Final">The final claim of the response it defends, or null when the response states no answer.</param>
/// <param name="Chain">The claims it states, in order (its steps, then the final claim).</param>
/// <param name="Honest">Whether it believes its answer is right.</param>
public sealed record Stance(Claim? Final, IReadOnlyList<Claim> Chain, bool Honest)
{
    /// <summary>The answer: the final claim's text after its last '=' ("" when there is none).</summary>
    public string Answer => Final is null ? "" : Final.Text[(Final.Text.LastIndexOf('=') + 1)..];
}

/// <summary>A debater's move: the index of the claim it disputes (null: it passes), or why it forfeited the turn.</summary>
/// <param name="Dispute">The disputed claim's index among the claims it was shown, or null.</param>
/// <param name="Forfeit">Why the turn was forfeited (a reply outside the grammar, no reply in time), or null.</param>
internal readonly record struct DebaterMove(int? Dispute, string? Forfeit = null);

/// <summary>What a debater sees when it moves besides the claims it may dispute.</summary>
/// <param name="Question">The question.</param>
/// <param name="Speaker">Its name in the transcript.</param>
/// <param name="Transcript">The game's turns so far.</param>
internal sealed record DebaterTurn(OversightQuestion Question, string Speaker, IReadOnlyList<TranscriptTurn> Transcript);

/// <summary>A debater of the <c>debate</c> protocol.</summary>
internal interface IDebater
{
    /// <summary>The stance it takes when it defends <paramref name="response"/>.</summary>
    Stance Open(Response response);

    /// <summary>Its move against <paramref name="opposing"/> (an opponent's chain, or the parts of a disputed claim).</summary>
    Task<DebaterMove> MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct);

    /// <summary>Whether its next turn is said persuasively.</summary>
    bool Persuasive(Stance stance, Random random);
}

/// <summary>A scripted debater or consultant (see <see cref="DebaterOptions"/>); all its draws come from the game's stream.</summary>
/// <param name="options">Its skills.</param>
/// <param name="claims">Its view of the task's claims.</param>
public sealed class ScriptedDebater(DebaterOptions options, DebaterClaimView claims) : IDebater
{
    Task<DebaterMove> IDebater.MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct) =>
        Task.FromResult(new DebaterMove(Dispute(stance, opposing, random)));

    /// <summary>The stance it takes when it defends <paramref name="response"/>.</summary>
    /// <param name="response">The candidate it is assigned.</param>
    /// <returns>Its final claim and chain: the parts of the final claim (true working steps, the last carrying the
    /// claimed result, so a wrong answer hides exactly one false step) then the final claim.</returns>
    public Stance Open(Response response)
    {
        ArgumentNullException.ThrowIfNull(response);
        Claim? final = claims.Claims(response).LastOrDefault(c => c.IsFinal);
        if (final is null)
        {
            return new Stance(null, [], false);
        }
        bool honest = claims.Believes(final);
        DebaterSkill skill = honest ? options.Honest : options.Dishonest;
        IReadOnlyList<Claim> chain = skill.StateSteps ? [.. claims.Split(final), final] : [final];
        return new Stance(final, chain, honest);
    }

    /// <summary>The skill it plays with in <paramref name="stance"/>.</summary>
    /// <param name="stance">Its stance.</param>
    /// <returns>The honest or the dishonest skill.</returns>
    public DebaterSkill Skill(Stance stance) => stance.Honest ? options.Honest : options.Dishonest;

    /// <summary>Which of <paramref name="opposing"/> (an opponent's chain or the parts of a disputed claim) it disputes, if any.</summary>
    /// <param name="stance">Its stance.</param>
    /// <param name="opposing">The claims it may dispute.</param>
    /// <param name="random">The game's stream.</param>
    /// <returns>The index of the disputed claim, or null to pass.</returns>
    public int? Dispute(Stance stance, IReadOnlyList<Claim> opposing, Random random)
    {
        ArgumentNullException.ThrowIfNull(stance);
        ArgumentNullException.ThrowIfNull(opposing);
        ArgumentNullException.ThrowIfNull(random);
        DebaterSkill skill = Skill(stance);
        int firstFalse = -1;
        var trueOnes = new List<int>();
        for (int i = 0; i < opposing.Count; i++)
        {
            if (claims.Believes(opposing[i]))
            {
                trueOnes.Add(i);
            }
            else if (firstFalse < 0)
            {
                firstFalse = i;
            }
        }
        double find = random.NextDouble();
        double mistake = random.NextDouble();
        int pick = random.Next(Math.Max(1, trueOnes.Count));
        if (firstFalse >= 0 && find < skill.FindRate)
        {
            return firstFalse;
        }
        return trueOnes.Count > 0 && mistake < skill.MistakeRate ? trueOnes[pick] : null;
    }

    /// <summary>Whether its next turn is said persuasively (confident tone and padding).</summary>
    /// <param name="stance">Its stance.</param>
    /// <param name="random">The game's stream.</param>
    /// <returns>True for a persuasive turn.</returns>
    public bool Persuasive(Stance stance, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.NextDouble() < Skill(stance).Persuasiveness;
    }
}

/// <summary>How one side came across to the judge: its turns and how many were confident or padded.</summary>
internal sealed class SideStyle
{
    public int Turns { get; private set; }
    public int Persuasive { get; private set; }

    public void Add(bool persuasive)
    {
        Turns++;
        Persuasive += persuasive ? 1 : 0;
    }

    public double PersuasiveFraction => Turns == 0 ? 0 : (double)Persuasive / Turns;
}

/// <summary>The simulated judge (see <see cref="JudgeOptions"/>): the only holder of <see cref="IClaimChecker.Check"/>.</summary>
/// <param name="options">Its limit, budget and biases.</param>
/// <param name="checker">The task's claims.</param>
internal sealed class SimulatedJudge(JudgeOptions options, IClaimChecker checker)
{
    public JudgeOptions Options => options;

    /// <summary>Whether <paramref name="claim"/> is within the judge's verification limit (it costs no check to know).</summary>
    public bool CanCheck(Claim claim) => claim.Difficulty <= options.VerificationLimit;

    /// <summary>Checks a claim (the caller counts the check).</summary>
    public bool? Check(Claim claim) => checker.Check(claim, options.VerificationLimit);

    /// <summary>The claims of a candidate, for the judge's own reading.</summary>
    public Claim? FinalClaim(Response response) => checker.Claims(response).LastOrDefault(c => c.IsFinal);

    /// <summary>The probability of choosing the first-presented side when no check decides.</summary>
    public double PreferFirst(Prompt prompt, (SideStyle Style, string Answer) first, (SideStyle Style, string Answer) second) =>
        Sigmoid(Score(prompt, first.Style, first.Answer) + options.PositionBias - Score(prompt, second.Style, second.Answer));

    private double Score(Prompt prompt, SideStyle style, string answer)
    {
        bool agrees = answer.Length > 0 && prompt.Metadata.TryGetValue(options.HintKey, out string? hint)
            && string.Equals(hint, answer, StringComparison.Ordinal);
        return ((options.ConfidenceBias + options.LengthBias) * style.PersuasiveFraction) + (agrees ? options.Sycophancy : 0);
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    public static string Describe(double p) => p.ToString("0.###", CultureInfo.InvariantCulture);
}
