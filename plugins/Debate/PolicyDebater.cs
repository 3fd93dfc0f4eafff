using System.Globalization;
using System.Text.RegularExpressions;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Debate;

/// <summary>
/// The move grammar every generating debater (chat or policy) answers in, and the short text a policy debater sees.
/// A move is <c>dispute N</c> (N from 1 to the number of claims shown) or <c>pass</c>; anything else forfeits the turn.
/// The state a policy sees is its own answer and the claims it may dispute, in the task's own step notation
/// (<c>49. 57+24=81, 81-61=20, 20+29=49, 57+24-61+29=49.</c>), so a character-level policy over the task's
/// alphabet can read and write every move.
/// </summary>
public static partial class DebaterMoves
{
    /// <summary>The move that passes.</summary>
    public const string Pass = "pass";

    /// <summary>The move that disputes claim <paramref name="n"/> (1-based) of those shown.</summary>
    /// <param name="n">The claim's number.</param>
    /// <returns><c>dispute N</c>.</returns>
    public static string Dispute(int n) => string.Create(CultureInfo.InvariantCulture, $"dispute {n}");

    /// <summary>Every legal move when <paramref name="count"/> claims are shown: each dispute, then the pass.</summary>
    /// <param name="count">Claims shown.</param>
    /// <returns>The moves' texts.</returns>
    public static IReadOnlyList<string> Legal(int count) => [.. Enumerable.Range(1, count).Select(Dispute), Pass];

    /// <summary>What a policy debater sees when it moves: its answer, then the claims it may dispute, in order.</summary>
    /// <param name="answer">The answer it defends.</param>
    /// <param name="opposing">The claims it may dispute (the opponent's chain, or the parts of a disputed claim).</param>
    /// <returns>The prompt text.</returns>
    public static string State(string answer, IReadOnlyList<Claim> opposing)
    {
        ArgumentNullException.ThrowIfNull(opposing);
        return $"{answer}. {string.Join(", ", opposing.Select(c => c.Text))}.";
    }

    /// <summary>Reads a move from a reply; a reply outside the grammar (or a claim number out of range) is a forfeit.</summary>
    /// <param name="reply">The reply text.</param>
    /// <param name="count">Claims shown.</param>
    /// <returns>The move.</returns>
    internal static DebaterMove Parse(string reply, int count)
    {
        Match match = Grammar().Match(reply);
        if (match.Success && match.Groups["pass"].Success)
        {
            return new DebaterMove(null);
        }
        if (match.Success && int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= count)
        {
            return new DebaterMove(n - 1);
        }
        return new DebaterMove(null, $"reply '{reply.Trim()}' is outside the grammar: 'dispute N' with N from 1 to {count.ToString(CultureInfo.InvariantCulture)}, or 'pass'");
    }

    [GeneratedRegex(@"^\s*(?:(?<pass>pass)|dispute\s+(?:claim\s+|part\s+)?(?<n>\d{1,4}))\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}

/// <summary>
/// A debater that opens like a scripted one (it states the task's chain for its answer: the working steps, then the
/// final claim, so a wrong answer's chain hides one false step, where <c>falseStep</c> of <paramref name="options"/>
/// puts it) and knows nothing of the truth: its stance is not marked honest, and every move is the text a policy
/// generates for <see cref="DebaterMoves.State"/>.
/// </summary>
/// <param name="claims">Its view of the task's claims.</param>
/// <param name="options">Where its chain hides a false step (null: the result step).</param>
/// <param name="seed">The run's seed (random false-step positions).</param>
internal abstract class GeneratingDebater(DebaterClaimView claims, DebaterOptions? options, long seed) : IDebater
{
    private readonly ScriptedDebater _opener = new(new DebaterOptions { FalseStep = options?.FalseStep ?? new DebaterOptions().FalseStep }, claims, seed);

    public Stance Open(Response response) => _opener.Open(response) with { Honest = false };

    public bool Persuasive(Stance stance, Random random) => false;

    public IReadOnlyList<Claim> Split(Stance stance, Claim claim) => _opener.Split(stance, claim);

    public abstract Task<DebaterMove> MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct);
}

/// <summary>
/// A <c>policy</c> debater of the <c>debate</c> protocol: each move is sampled from a policy of the run (the pipeline's,
/// or one an earlier stage left) for <see cref="DebaterMoves.State"/>, one move per call. The sampler's seed is the
/// stream <c>policy-debater/&lt;question&gt;/&lt;speaker&gt;/&lt;turn&gt;</c> of the run's seed, not a draw from the game's
/// stream, so the game's other draws are those it would have with any other debater that draws nothing.
/// </summary>
/// <param name="options">Its temperature and token limit.</param>
/// <param name="claims">Its view of the task's claims.</param>
/// <param name="policy">The policy that moves.</param>
/// <param name="seed">The run's seed.</param>
internal sealed class PolicyDebater(DebaterOptions options, DebaterClaimView claims, IPolicy policy, long seed) : GeneratingDebater(claims, options, seed)
{
    private readonly DebaterOptions _options = options;
    private readonly long _seed = seed;

    public override async Task<DebaterMove> MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct)
    {
        string id = $"{turn.Question.Id}/{turn.Speaker}/{turn.Transcript.Count.ToString(CultureInfo.InvariantCulture)}";
        var prompt = new Prompt(id, DebaterMoves.State(stance.Answer, opposing));
        var generation = new GenerationOptions { MaxNewTokens = _options.MaxNewTokens, Temperature = _options.Temperature, Seed = RandomStreams.Derive(_seed, "policy-debater/" + id) };
        IReadOnlyList<Response> reply = await policy.GenerateAsync([prompt], generation, ct).ConfigureAwait(false);
        return DebaterMoves.Parse(reply[0].Text, opposing.Count);
    }
}

/// <summary>Thrown by a <see cref="TapeDebater"/> whose tape has no move left: the arena generates it and replays the game.</summary>
/// <param name="side">The side (0: presented first) that must move.</param>
/// <param name="state">What it sees (<see cref="DebaterMoves.State"/>).</param>
/// <param name="count">Claims it may dispute.</param>
internal sealed class MoveNeededException(int side, string state, int count) : Exception($"side {side} must move on '{state}'")
{
    public int Side { get; } = side;

    public string State { get; } = state;

    public int Count { get; } = count;
}

/// <summary>
/// A policy's side in the self-play arena: it plays the moves on its tape, in order, and asks for the next one (by
/// throwing <see cref="MoveNeededException"/>) when the tape runs out.
/// </summary>
internal sealed class TapeDebater(DebaterClaimView claims, IReadOnlyList<ArenaMove> tape, int side, DebaterOptions? options = null, long seed = 0)
    : GeneratingDebater(claims, options, seed)
{
    private int _next;

    /// <summary>Moves it played in this game.</summary>
    public int Played => _next;

    public override Task<DebaterMove> MoveAsync(Stance stance, IReadOnlyList<Claim> opposing, DebaterTurn turn, Random random, CancellationToken ct)
    {
        if (_next < tape.Count)
        {
            return Task.FromResult(tape[_next++].Move);
        }
        throw new MoveNeededException(side, DebaterMoves.State(stance.Answer, opposing), opposing.Count);
    }
}

/// <summary>A move on a tape: the generated text and what it means.</summary>
/// <param name="Text">The policy's reply.</param>
/// <param name="Move">The parsed move.</param>
/// <param name="State">The state it answered.</param>
internal sealed record ArenaMove(string Text, DebaterMove Move, string State);
