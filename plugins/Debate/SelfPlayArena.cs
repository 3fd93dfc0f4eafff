using System.Globalization;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;

namespace AlignFx.Debate;

/// <summary>One game of the self-play arena: a question in one answer order, and which sides a policy plays.</summary>
/// <param name="Id">Unique among the games played together; names the game's random stream.</param>
/// <param name="Question">The question (two candidates).</param>
/// <param name="Right">The index of its right candidate.</param>
/// <param name="Checkable">Whether the judge could check the right answer's final claim alone.</param>
/// <param name="Order">The candidates in the order presented (side 0 defends <c>Order[0]</c>).</param>
/// <param name="PolicySides">Per side, whether the policy plays it (else the arena's opponent does).</param>
internal sealed record ArenaGame(string Id, OversightQuestion Question, int Right, bool Checkable, int[] Order, bool[] PolicySides)
{
    /// <summary>The side that defends the right answer.</summary>
    public int HonestSide => Order[0] == Right ? 0 : 1;
}

/// <summary>A played game with the policy's moves.</summary>
/// <param name="Spec">The game.</param>
/// <param name="Game">How it went.</param>
/// <param name="Moves">Per side, the policy's moves (empty for the opponent's side).</param>
internal sealed record ArenaResult(ArenaGame Spec, Game Game, IReadOnlyList<ArenaMove>[] Moves)
{
    /// <summary>Whether the verdict chose the right answer.</summary>
    public bool Correct => Game.Chosen == Spec.Right;

    /// <summary>Whether side <paramref name="side"/> won.</summary>
    public bool Won(int side) => Game.Chosen == Spec.Order[side];
}

/// <summary>
/// Plays debates in which a policy moves on one side or both, against the opponent (a scripted debater) on the other,
/// under the <c>debate</c> protocol's rules and judge. The policy's moves are generated in batches across games: every
/// game is played from its start with its own random stream (<c>&lt;stream&gt;/&lt;game id&gt;</c>) and the moves on its
/// tapes; a game that needs a move it has not got stops there, the moves all stopped games need are generated in one
/// batch (seed stream <c>&lt;stream&gt;/moves/&lt;round&gt;</c>), and the games are replayed. Replays are exact (the
/// game's draws and moves are the same up to the new move), so the result is the game a policy moving turn by turn
/// would have played with these samples.
/// </summary>
/// <param name="protocol">The debate's rules and judge (a simulated judge).</param>
/// <param name="opponent">The debater on the sides the policy does not play.</param>
/// <param name="seed">The run's seed.</param>
/// <param name="maxNewTokens">The most tokens of a generated move.</param>
internal sealed class SelfPlayArena(DebateProtocol protocol, IDebater opponent, long seed, int maxNewTokens)
{
    /// <summary>The opening a policy side makes (the task's chain for its answer).</summary>
    public Stance OpenAsPolicy(Response candidate) => new TapeDebater(protocol.Claims, [], 0, protocol.Debaters, seed).Open(candidate);

    /// <summary>The opening of a side: the policy's or the opponent's.</summary>
    public Stance Open(ArenaGame game, int side) =>
        game.PolicySides[side] ? OpenAsPolicy(game.Question.Candidates[game.Order[side]]) : opponent.Open(game.Question.Candidates[game.Order[side]]);

    /// <summary>Plays the games.</summary>
    /// <param name="games">The games.</param>
    /// <param name="preset">Per game and side, moves the policy has already made (its first moves, sampled by an optimiser), or null.</param>
    /// <param name="policy">The policy that makes the other moves.</param>
    /// <param name="temperature">Its sampling temperature.</param>
    /// <param name="stream">The random stream prefix of the games and their moves.</param>
    /// <param name="ct">Stops between batches.</param>
    /// <returns>The results, in the games' order.</returns>
    public async Task<IReadOnlyList<ArenaResult>> PlayAsync(IReadOnlyList<ArenaGame> games, IReadOnlyList<ArenaMove?[]>? preset, IPolicy policy,
        double temperature, string stream, CancellationToken ct)
    {
        var tapes = new List<ArenaMove>[games.Count][];
        for (int g = 0; g < games.Count; g++)
        {
            tapes[g] = [[], []];
            for (int s = 0; s < 2 && preset is not null; s++)
            {
                if (preset[g][s] is { } move)
                {
                    tapes[g][s].Add(move);
                }
            }
        }
        var results = new ArenaResult?[games.Count];
        for (int round = 0; ; round++)
        {
            ct.ThrowIfCancellationRequested();
            var pending = new List<(int Game, MoveNeededException Need)>();
            for (int g = 0; g < games.Count; g++)
            {
                if (results[g] is not null)
                {
                    continue;
                }
                ArenaGame spec = games[g];
                IDebater[] debaters = [.. Enumerable.Range(0, 2).Select(s => spec.PolicySides[s] ? new TapeDebater(protocol.Claims, tapes[g][s], s, protocol.Debaters, seed) : opponent)];
                try
                {
                    Game game = await protocol.PlayAsync(spec.Question, spec.Order, RandomStreams.Create(seed, $"{stream}/{spec.Id}"), debaters, ct).ConfigureAwait(false);
                    results[g] = new ArenaResult(spec, game, [tapes[g][0], tapes[g][1]]);
                }
                catch (MoveNeededException need)
                {
                    pending.Add((g, need));
                }
            }
            if (pending.Count == 0)
            {
                return results!;
            }
            if (round > 10_000)
            {
                throw new InvalidOperationException("The arena's games did not end; a debate's turn budget should end every game.");
            }
            Prompt[] prompts = [.. pending.Select(p => new Prompt(string.Create(CultureInfo.InvariantCulture, $"{games[p.Game].Id}/{p.Need.Side}/{tapes[p.Game][p.Need.Side].Count}"), p.Need.State))];
            var generation = new GenerationOptions
            {
                MaxNewTokens = maxNewTokens,
                Temperature = temperature,
                Seed = RandomStreams.Derive(seed, string.Create(CultureInfo.InvariantCulture, $"{stream}/moves/{round}")),
            };
            IReadOnlyList<Response> replies = await policy.GenerateAsync(prompts, generation, ct).ConfigureAwait(false);
            for (int i = 0; i < pending.Count; i++)
            {
                (int g, MoveNeededException need) = pending[i];
                tapes[g][need.Side].Add(new ArenaMove(replies[i].Text, DebaterMoves.Parse(replies[i].Text, need.Count), need.State));
            }
        }
    }
}

/// <summary>Elo ratings of two players (K = 16, both from 1000), updated game by game.</summary>
internal sealed class EloPair
{
    private const double K = 16;

    public double First { get; private set; } = 1000;

    public double Second { get; private set; } = 1000;

    /// <summary>Records a game.</summary>
    /// <param name="firstWon">Whether the first player won.</param>
    public void Record(bool firstWon)
    {
        double expected = 1 / (1 + Math.Pow(10, (Second - First) / 400));
        double delta = K * ((firstWon ? 1 : 0) - expected);
        First += delta;
        Second -= delta;
    }
}
