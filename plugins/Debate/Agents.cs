using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Runs;
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

    /// <summary>A false claim's working with its one false step at <paramref name="falseStep"/> (see <see cref="IClaimChecker.SplitWithFalseStep"/>).</summary>
    /// <param name="claim">A false claim.</param>
    /// <param name="falseStep">The 0-based index of the false part.</param>
    /// <returns>The parts, or null when no such working exists.</returns>
    public IReadOnlyList<Claim>? SplitWithFalseStep(Claim claim, int falseStep) => checker.SplitWithFalseStep(claim, falseStep);
}

/// <summary>What a debater defends: its answer's final claim and the chain it states for it.</summary>
/// <param name="Final">The final claim of the response it defends, or null when the response states no answer.</param>
/// <param name="Chain">The claims it states, in order (its steps, then the final claim).</param>
/// <param name="Honest">Whether it believes its answer is right.</param>
public sealed record Stance(Claim? Final, IReadOnlyList<Claim> Chain, bool Honest)
{
    /// <summary>The parts it states when its final claim is disputed and split (null: the task's split).</summary>
    public IReadOnlyList<Claim>? Working { get; init; }

    /// <summary>The 0-based index, in <see cref="Working"/>, of the one false step it hides, when it defends a wrong answer.</summary>
    public int? FalseStep { get; init; }

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

    /// <summary>The parts it states when its claim <paramref name="claim"/> is disputed beyond the judge's limit (empty: it does not split).</summary>
    IReadOnlyList<Claim> Split(Stance stance, Claim claim);
}

/// <summary>
/// A scripted debater or consultant (see <see cref="DebaterOptions"/>); all its draws in a game come from the game's
/// stream, and the position of a liar's false step with <c>falseStep: "random"</c> from the stream
/// <c>false-step/&lt;prompt&gt;/&lt;answer&gt;</c> of the run's seed (the same in both answer orders).
/// </summary>
/// <param name="options">Its skills and where a wrong answer's chain hides its false step.</param>
/// <param name="claims">Its view of the task's claims.</param>
/// <param name="seed">The run's seed (draws the random false-step positions).</param>
public sealed class ScriptedDebater(DebaterOptions options, DebaterClaimView claims, long seed = 0) : IDebater
{
    private readonly FalseStepPlacement _placement = options.Placement;

    Task<DebaterMove> IDebater.MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct) =>
        Task.FromResult(new DebaterMove(Dispute(stance, opposing, random)));

    /// <summary>The stance it takes when it defends <paramref name="response"/>.</summary>
    /// <param name="response">The candidate it is assigned.</param>
    /// <returns>Its final claim and chain: the working of the final claim (true steps when the answer is right; for a
    /// wrong answer, steps that hide exactly one false step, where <c>falseStep</c> puts it, the later steps true given
    /// it) then the final claim.</returns>
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
        IReadOnlyList<Claim> working = claims.Split(final);
        int? falseStep = null;
        if (!honest && working.Count > 0)
        {
            (working, falseStep) = Place(response, final, working);
        }
        IReadOnlyList<Claim> chain = skill.StateSteps ? [.. working, final] : [final];
        return new Stance(final, chain, honest) { Working = working, FalseStep = falseStep };
    }

    /// <summary>
    /// The working of a wrong final claim with its false step where <c>falseStep</c> asks: the task's split (the
    /// result step) by default; else the asked step, or the nearest later one whose error can reach the answer.
    /// </summary>
    private (IReadOnlyList<Claim> Working, int? FalseStep) Place(Response response, Claim final, IReadOnlyList<Claim> split)
    {
        int last = split.Count - 1;
        if (_placement.Mode == FalseStepMode.Result)
        {
            return (split, last);
        }
        if (_placement.Mode == FalseStepMode.Random)
        {
            var possible = new List<(IReadOnlyList<Claim>, int?)>();
            for (int k = 0; k < last; k++)
            {
                if (claims.SplitWithFalseStep(final, k) is { } parts)
                {
                    possible.Add((parts, k));
                }
            }
            possible.Add((split, last));
            Random random = RandomStreams.Create(seed, $"false-step/{response.Prompt.Text}/{response.Text}");
            return possible[random.Next(possible.Count)];
        }
        int asked = _placement.Mode == FalseStepMode.First ? 0 : Math.Min(_placement.Step - 1, last);
        for (int k = asked; k < last; k++)
        {
            if (claims.SplitWithFalseStep(final, k) is { } parts)
            {
                return (parts, k);
            }
        }
        return (split, last);
    }

    /// <summary>The parts it states when <paramref name="claim"/> is disputed: its own working for its final claim, else the task's split.</summary>
    /// <param name="stance">Its stance.</param>
    /// <param name="claim">The disputed claim.</param>
    /// <returns>The parts, or empty when the claim does not split.</returns>
    public IReadOnlyList<Claim> Split(Stance stance, Claim claim)
    {
        ArgumentNullException.ThrowIfNull(stance);
        return stance.Working is { } working && claim == stance.Final ? working : claims.Split(claim);
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
