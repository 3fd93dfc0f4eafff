using System.Globalization;
using AlignFx.Abstractions.Claims;
using AlignFx.Abstractions.Oversight;
using AlignFx.Abstractions.Plugins;
using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Roles;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using Microsoft.Extensions.AI;

namespace AlignFx.Debate;

/// <summary>One game: a question judged in one answer order.</summary>
/// <param name="Order">The candidates' indices in the order presented (first, second).</param>
/// <param name="Chosen">The candidate chosen.</param>
/// <param name="Confidence">The judge's confidence in it.</param>
/// <param name="DecidedByCheck">Whether a check (or a side stating no answer) decided it; false when the judge's biases did.</param>
/// <param name="Checks">Checks the judge spent.</param>
/// <param name="Turns">Debater (or consultant) turns.</param>
/// <param name="Transcript">The game's turns.</param>
public sealed record Game(int[] Order, int Chosen, double Confidence, bool DecidedByCheck, int Checks, int Turns, IReadOnlyList<TranscriptTurn> Transcript)
{
    /// <summary>When the judge went by its biases: its probability of choosing the first-presented candidate; else null.</summary>
    public double? FallbackFirst { get; init; }

    /// <summary>Whether a chat judge forfeited its turn (a reply outside the grammar, or none in time) and a coin decided.</summary>
    public bool JudgeForfeited { get; init; }

    /// <summary>Whether the game waits for the chat judge's decision (no check decided it).</summary>
    internal bool AwaitsJudge { get; init; }

    /// <summary>Transcript tokens (whitespace-separated words).</summary>
    public int Tokens => Transcript.Sum(t => t.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
}

/// <summary>A verdict with the games behind it.</summary>
/// <param name="Verdict">The combined verdict.</param>
/// <param name="Games">One game per answer order.</param>
public sealed record ProtocolOutcome(OversightVerdict Verdict, IReadOnlyList<Game> Games);

/// <summary>An oversight method of this plugin: its games are visible to the <c>oversee</c> stage.</summary>
public interface IMeasuredOversight
{
    /// <summary>The judge's verification limit (what "the judge could not check alone" means).</summary>
    double VerificationLimit { get; }

    /// <summary>Judges a question of two candidates, keeping the games.</summary>
    /// <param name="question">The question.</param>
    /// <param name="ct">Stops a chat judge's request.</param>
    /// <returns>The verdict and its games.</returns>
    Task<ProtocolOutcome> JudgeDetailedAsync(OversightQuestion question, CancellationToken ct);
}

/// <summary>
/// What the three protocols share: two candidates, the judge, both answer orders (each with its own random stream
/// <c>&lt;seedStream&gt;/&lt;component&gt;/&lt;question id&gt;/&lt;order&gt;</c>, so the same seed and question give the same
/// transcripts whatever the batching), and the combination of the two games: the chosen candidate when they agree
/// (mean confidence), else the more confident game's choice (a seeded coin on a tie) with confidence 0.5.
/// Cost is in model calls: debater turns, judge checks and one verdict per game.
/// </summary>
public abstract class Protocol : IOversightMethod, IMeasuredOversight
{
    private readonly ProtocolOptions _options;
    private readonly string _name;
    private readonly long _seed;
    private readonly ChatJudge? _chat;

    /// <summary>Sets up the protocol.</summary>
    /// <param name="options">Its options.</param>
    /// <param name="name">Its component name (a stream prefix and the verdict's judge name).</param>
    /// <param name="context">The run, whose seed fixes every draw.</param>
    /// <param name="task">The task (without its gold evaluator), whose claims the judge checks.</param>
    /// <param name="components">The run's component factory (needed by a <c>chat</c> judge, for its model).</param>
    /// <param name="prompter">The host's role prompter (needed by a <c>chat</c> judge).</param>
    private protected Protocol(ProtocolOptions options, string name, IRunContext context, ITask task, IComponentFactory? components, IRolePrompter? prompter)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(task);
        IClaimChecker checker = task.Claims
            ?? throw new InvalidOperationException($"{name} needs a task with checkable claims (ITask.Claims), such as 'arithmetic'; this task has none.");
        _options = options;
        _name = name;
        _seed = context.Seed;
        Judge = new SimulatedJudge(options.Judge, checker);
        Claims = new DebaterClaimView(checker);
        if (options.Judge.Name == DebateNames.ChatJudge)
        {
            if (components is null || prompter is null || options.Judge.Model is null)
            {
                throw new InvalidOperationException($"{name}'s chat judge needs a model (judge.model) and the host's component factory and role prompter.");
            }
            _chat = new ChatJudge(components.Create<IChatClient>(options.Judge.Model), prompter, options.Judge);
        }
    }

    /// <inheritdoc />
    public double VerificationLimit => _options.Judge.VerificationLimit;

    private protected SimulatedJudge Judge { get; }

    /// <summary>What debaters may use of the task's claims.</summary>
    internal DebaterClaimView Claims { get; }

    /// <summary>Whether a chat judge decides the games no check decides (the self-play arena needs the simulated judge).</summary>
    internal bool HasChatJudge => _chat is not null;

    /// <inheritdoc />
    public async Task<OversightVerdict> JudgeAsync(OversightQuestion question, CancellationToken ct) =>
        (await JudgeDetailedAsync(question, ct).ConfigureAwait(false)).Verdict;

    /// <inheritdoc />
    public async Task<ProtocolOutcome> JudgeDetailedAsync(OversightQuestion question, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        ArgumentNullException.ThrowIfNull(question);
        if (question.Candidates.Count != 2)
        {
            throw new ArgumentException($"{_name} judges two candidates, not {question.Candidates.Count} (question {question.Id}).", nameof(question));
        }
        string stream = $"{_options.SeedStream}/{_name}/{question.Id}";
        var games = new List<Game> { await PlayAsync(question, [0, 1], RandomStreams.Create(_seed, stream + "/0-1"), RandomStreams.Create(_seed, stream), ct).ConfigureAwait(false) };
        if (_options.BothOrders)
        {
            games.Add(await PlayAsync(question, [1, 0], RandomStreams.Create(_seed, stream + "/1-0"), RandomStreams.Create(_seed, stream), ct).ConfigureAwait(false));
        }
        for (int g = 0; g < games.Count; g++)
        {
            if (games[g].AwaitsJudge && _chat is not null)
            {
                Random coin = RandomStreams.Create(_seed, string.Create(CultureInfo.InvariantCulture, $"{stream}/{games[g].Order[0]}-{games[g].Order[1]}/coin"));
                games[g] = await _chat.DecideAsync(question, games[g], coin, ct).ConfigureAwait(false);
            }
        }
        int chosen;
        double confidence;
        if (games.All(g => g.Chosen == games[0].Chosen))
        {
            chosen = games[0].Chosen;
            confidence = games.Average(g => g.Confidence);
        }
        else
        {
            chosen = games[0].Confidence > games[1].Confidence ? games[0].Chosen
                : games[1].Confidence > games[0].Confidence ? games[1].Chosen
                : RandomStreams.Create(_seed, stream + "/tie").Next(2);
            confidence = 0.5;
        }
        var transcript = new List<TranscriptTurn>();
        foreach (Game game in games)
        {
            transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture, $"order: candidate {game.Order[0]} first, candidate {game.Order[1]} second")));
            transcript.AddRange(game.Transcript);
        }
        transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture,
            $"final verdict: candidate {chosen} ({SimulatedJudge.Describe(confidence)}){(games.Count == 2 && games[0].Chosen != games[1].Chosen ? "; the two orders disagreed" : "")}")));
        var verdict = new OversightVerdict(chosen, confidence, transcript)
        {
            Judge = $"{_name}/{_options.Judge.Name}",
            Cost = games.Sum(g => g.Turns + g.Checks + 1),
        };
        return new ProtocolOutcome(verdict, games);
    }

    /// <summary>Plays one game.</summary>
    /// <param name="question">The question.</param>
    /// <param name="order">The candidates in the order presented.</param>
    /// <param name="random">The game's stream.</param>
    /// <param name="shared">A stream both orders share (draws that belong to the question, not the order).</param>
    /// <param name="ct">Stops a chat debater's request.</param>
    /// <returns>The game.</returns>
    private protected abstract Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, Random shared, CancellationToken ct);

    /// <summary>The judge's fallback when no check decided: a biased logistic choice between the two presented sides.</summary>
    private protected Game Fallback(OversightQuestion question, int[] order, (SideStyle Style, string Answer)[] sides, Random random,
        List<TranscriptTurn> transcript, int checks, int turns, string why)
    {
        if (_chat is not null)
        {
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"no check decides ({why}); the chat judge is asked"));
            return new Game(order, order[0], 0.5, false, checks, turns, transcript) { AwaitsJudge = true };
        }
        double first = Judge.PreferFirst(question.Candidates[0].Prompt, sides[0], sides[1]);
        bool pickFirst = random.NextDouble() < first;
        int chosen = order[pickFirst ? 0 : 1];
        double confidence = Math.Max(first, 1 - first);
        transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture,
            $"no check decides ({why}); by impression, P(first) = {SimulatedJudge.Describe(first)}: candidate {chosen}")));
        return new Game(order, chosen, confidence, false, checks, turns, transcript) { FallbackFirst = first };
    }

    private protected static Game Decided(int[] order, int chosen, List<TranscriptTurn> transcript, int checks, int turns, string why)
    {
        transcript.Add(new TranscriptTurn(Speakers.Judge, string.Create(CultureInfo.InvariantCulture, $"verdict: candidate {chosen} ({why})")));
        return new Game(order, chosen, 1, true, checks, turns, transcript);
    }

    private protected static string Styled(string text, bool persuasive) => persuasive ? $"Surely: {text} Trust me, no doubt." : text;

    internal static string Chain(IReadOnlyList<Claim> claims) => string.Join("; ", claims.Select((c, i) => string.Create(CultureInfo.InvariantCulture, $"[{i + 1}] {c.Text}")));
}

/// <summary>
/// <c>direct</c>: the judge alone sees the question and the two answers; it checks each final claim within its limit and
/// budget (a true one wins, a false one loses), else decides by its biases (sycophancy, position: no side has an
/// advocate, so tone plays no part).
/// </summary>
/// <param name="options">Its options.</param>
/// <param name="context">The run.</param>
/// <param name="task">The task (without its gold evaluator).</param>
/// <param name="components">The run's component factory (for a chat judge's model).</param>
/// <param name="prompter">The host's role prompter (for a chat judge).</param>
public sealed class DirectProtocol(DirectOptions options, IRunContext context, ITask task, IComponentFactory? components = null, IRolePrompter? prompter = null)
    : Protocol(options, DebateNames.Direct, context, task, components, prompter)
{
    private protected override Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, Random shared, CancellationToken ct) =>
        Task.FromResult(Play(question, order, random, shared));

    private Game Play(OversightQuestion question, int[] order, Random random, Random shared)
    {
        var transcript = new List<TranscriptTurn>();
        int checks = 0;
        var rejected = new bool[2];
        var answers = new string[2];
        for (int s = 0; s < 2; s++)
        {
            Claim? final = Judge.FinalClaim(question.Candidates[order[s]]);
            answers[s] = final is null ? "" : new Stance(final, [], false).Answer;
            if (final is null)
            {
                rejected[s] = true;
                transcript.Add(new TranscriptTurn(Speakers.Judge, $"candidate {order[s]} states no answer"));
                continue;
            }
            if (!Judge.CanCheck(final) || checks >= Judge.Options.ChecksPerDebate)
            {
                transcript.Add(new TranscriptTurn(Speakers.Judge, Judge.CanCheck(final) ? $"no check left for {final.Text}" : $"cannot check {final.Text}"));
                continue;
            }
            checks++;
            bool? holds = Judge.Check(final);
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"checks {final.Text}: {Holds(holds)}"));
            if (holds == true)
            {
                return Decided(order, order[s], transcript, checks, 0, "its answer checks out");
            }
            rejected[s] = holds == false;
        }
        if (rejected[0] != rejected[1])
        {
            return Decided(order, order[rejected[0] ? 1 : 0], transcript, checks, 0, "the other answer is wrong");
        }
        return Fallback(question, order, [(new SideStyle(), answers[0]), (new SideStyle(), answers[1])], random, transcript, checks, 0, "no answer checks out");
    }

    internal static string Holds(bool? holds) => holds switch { true => "true", false => "false", null => "beyond the limit" };
}

/// <summary>
/// <c>debate</c>: two debaters defend the two answers. Round 1: each states its chain. Each later round: each may dispute
/// one claim of the other's chain (by index) or pass. A disputed claim within the judge's limit is checked (while checks
/// remain): a true one loses the disputer the debate, a false one loses the debater who stated it. One beyond the limit
/// is split through the task's claims (the defender states the parts, the disputer disputes one of them), recursively,
/// until a part is checkable or the turn budget runs out. A side that states no answer forfeits. When nothing is
/// decided the judge goes by its biases.
/// </summary>
public sealed class DebateProtocol : Protocol
{
    private readonly DebateOptions _options;
    private readonly IDebater _debater;

    /// <summary>Sets up the debate.</summary>
    /// <param name="options">Its options.</param>
    /// <param name="context">The run.</param>
    /// <param name="task">The task (without its gold evaluator).</param>
    /// <param name="components">The run's component factory (for a chat judge's or chat debaters' model).</param>
    /// <param name="prompter">The host's role prompter (for a chat judge or chat debaters).</param>
    /// <param name="artifacts">The pipeline's results (for <c>policy</c> debaters that name an artifact).</param>
    /// <param name="policy">The pipeline's current policy, which the host provides (for <c>policy</c> debaters).</param>
    public DebateProtocol(DebateOptions options, IRunContext context, ITask task, IComponentFactory? components = null, IRolePrompter? prompter = null,
        IArtifactBag? artifacts = null, IPolicy? policy = null)
        : base(options, DebateNames.Debate, context, task, components, prompter)
    {
        _options = options;
        if (options.Debaters.Name == DebateNames.PolicyDebater)
        {
            IPolicy mover = options.Debaters.Artifact is { } key
                ? (artifacts ?? throw new InvalidOperationException($"debate's policy debaters name the artifact '{key}', but there are no pipeline results here.")).Get<IPolicy>(key)
                : policy ?? throw new InvalidOperationException("debate's policy debaters need the pipeline's policy (inside a run) or an artifact (debaters.artifact).");
            _debater = new PolicyDebater(options.Debaters, Claims, mover, context.Seed);
        }
        else if (options.Debaters.Name == DebateNames.ChatDebater)
        {
            if (components is null || prompter is null || options.Debaters.Model is null)
            {
                throw new InvalidOperationException("debate's chat debaters need a model (debaters.model) and the host's component factory and role prompter.");
            }
            _debater = new ChatDebater(options.Debaters, Claims, components.Create<IChatClient>(options.Debaters.Model), prompter);
        }
        else
        {
            _debater = new ScriptedDebater(options.Debaters, Claims, context.Seed);
        }
    }

    /// <summary>The debaters' options (where a policy side's chain hides a false step, in the self-play arena).</summary>
    internal DebaterOptions Debaters => _options.Debaters;

    private protected override Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, Random shared, CancellationToken ct) =>
        PlayAsync(question, order, random, [_debater, _debater], ct);

    /// <summary>
    /// Plays one game with a debater per side (the first presented, then the second): the self-play arena sets a policy
    /// against a scripted opponent this way. Every draw comes from <paramref name="random"/>, so replaying a game with
    /// the same stream and the same moves gives the same game.
    /// </summary>
    internal async Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, IDebater[] debaters, CancellationToken ct)
    {
        var transcript = new List<TranscriptTurn>();
        string[] speakers = [Speakers.DebaterA, Speakers.DebaterB];
        Stance[] stances = [debaters[0].Open(question.Candidates[order[0]]), debaters[1].Open(question.Candidates[order[1]])];
        SideStyle[] styles = [new(), new()];
        int turns = 0, checks = 0;
        if (stances[0].Final is null || stances[1].Final is null)
        {
            if (stances[0].Final is null && stances[1].Final is null)
            {
                return Fallback(question, order, [(styles[0], ""), (styles[1], "")], random, transcript, checks, turns, "neither states an answer");
            }
            int forfeiting = stances[0].Final is null ? 0 : 1;
            transcript.Add(new TranscriptTurn(speakers[forfeiting], "states no answer"));
            return Decided(order, order[1 - forfeiting], transcript, checks, turns, $"{speakers[forfeiting]} forfeits");
        }
        if (stances[0].Answer == stances[1].Answer)
        {
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"both defend {stances[0].Answer}: nothing to debate"));
            return new Game(order, order[0], 0.5, false, checks, turns, transcript);
        }
        for (int s = 0; s < 2; s++)
        {
            bool persuasive = debaters[s].Persuasive(stances[s], random);
            styles[s].Add(persuasive);
            turns++;
            transcript.Add(new TranscriptTurn(speakers[s], Styled($"I defend {stances[s].Answer}: {Chain(stances[s].Chain)}.", persuasive)));
        }
        string why = "no dispute was decided";
        for (int round = 2; round <= _options.Rounds; round++)
        {
            // Sequential: each move is resolved before the next is chosen. Simultaneous: both choose, then both are resolved.
            var chosen = new int?[2];
            for (int s = 0; s < 2; s++)
            {
                if (turns >= _options.MaxTurns)
                {
                    return Fallback(question, order, Sides(stances, styles), random, transcript, checks, turns, "the turn budget is spent");
                }
                chosen[s] = await MoveAsync(s).ConfigureAwait(false);
                if (!_options.Simultaneous && chosen[s] is { } index && await ResolveAsync(s, index).ConfigureAwait(false) is { } decided)
                {
                    return decided;
                }
            }
            for (int s = 0; _options.Simultaneous && s < 2; s++)
            {
                if (chosen[s] is { } index && await ResolveAsync(s, index).ConfigureAwait(false) is { } decided)
                {
                    return decided;
                }
            }
        }
        return Fallback(question, order, Sides(stances, styles), random, transcript, checks, turns, why);

        // A debater's move: the index of the claim of the other's chain it disputes, or null when it passes (or forfeits).
        async Task<int?> MoveAsync(int s)
        {
            int other = 1 - s;
            DebaterMove move = await debaters[s].MoveAsync(stances[s], stances[other].Chain, new DebaterTurn(question, speakers[s], transcript), random, ct).ConfigureAwait(false);
            bool persuasive = debaters[s].Persuasive(stances[s], random);
            styles[s].Add(persuasive);
            turns++;
            transcript.Add(new TranscriptTurn(speakers[s], move.Forfeit is { } reason ? $"forfeits the turn ({reason})" : Styled(move.Dispute is { } i
                ? string.Create(CultureInfo.InvariantCulture, $"I dispute claim {i + 1} of {speakers[other]}: {stances[other].Chain[i].Text}.")
                : "I pass.", persuasive)));
            return move.Dispute;
        }

        // The recursion: check the disputed claim if the judge can, else the defender splits it and the disputer picks a part.
        async Task<Game?> ResolveAsync(int s, int index)
        {
            int other = 1 - s;
            Claim claim = stances[other].Chain[index];
            while (true)
            {
                if (Judge.CanCheck(claim))
                {
                    if (checks >= Judge.Options.ChecksPerDebate)
                    {
                        transcript.Add(new TranscriptTurn(Speakers.Judge, $"no check left for {claim.Text}"));
                        why = "the judge's checks are spent";
                        return null;
                    }
                    checks++;
                    bool? holds = Judge.Check(claim);
                    transcript.Add(new TranscriptTurn(Speakers.Judge, $"checks {claim.Text}: {DirectProtocol.Holds(holds)}"));
                    if (holds is not { } truth)
                    {
                        return null;
                    }
                    int loser = truth ? s : other;
                    return Decided(order, order[1 - loser], transcript, checks, turns,
                        truth ? $"{speakers[s]} disputed a true claim" : $"{speakers[other]} stated a false claim");
                }
                IReadOnlyList<Claim> parts = debaters[other].Split(stances[other], claim);
                if (parts.Count == 0)
                {
                    transcript.Add(new TranscriptTurn(Speakers.Judge, $"cannot check {claim.Text}, and it does not split"));
                    why = "a disputed claim could not be checked";
                    return null;
                }
                if (turns + 2 > _options.MaxTurns)
                {
                    transcript.Add(new TranscriptTurn(Speakers.Judge, $"cannot check {claim.Text}, and no turns are left to split it"));
                    why = "the turn budget is spent";
                    return null;
                }
                bool defending = debaters[other].Persuasive(stances[other], random);
                styles[other].Add(defending);
                turns++;
                transcript.Add(new TranscriptTurn(speakers[other], Styled($"{claim.Text} holds because: {Chain(parts)}.", defending)));
                DebaterMove move = await debaters[s].MoveAsync(stances[s], parts, new DebaterTurn(question, speakers[s], transcript), random, ct).ConfigureAwait(false);
                bool disputing = debaters[s].Persuasive(stances[s], random);
                styles[s].Add(disputing);
                turns++;
                if (move.Dispute is not { } p)
                {
                    transcript.Add(new TranscriptTurn(speakers[s], move.Forfeit is { } reason ? $"forfeits the turn ({reason})" : Styled("I withdraw the dispute.", disputing)));
                    why = "a dispute was withdrawn";
                    return null;
                }
                claim = parts[p];
                transcript.Add(new TranscriptTurn(speakers[s], Styled(string.Create(CultureInfo.InvariantCulture, $"I dispute part {p + 1}: {claim.Text}."), disputing)));
            }
        }
    }

    private static (SideStyle, string)[] Sides(Stance[] stances, SideStyle[] styles) => [(styles[0], stances[0].Answer), (styles[1], stances[1].Answer)];
}

/// <summary>
/// <c>consultancy</c>: one consultant argues for one answer, the one it believes right with probability
/// <see cref="ConsultancyOptions.HonestRate"/> (drawn once per question, shared by both orders), else the other. It
/// states its chain; the judge questions claims of it at random: one within its limit it checks (a false one rejects the
/// consultant's answer, a true final claim confirms it), one beyond it the consultant splits and the judge questions a
/// part, until its checks or the consultant's turns run out. Otherwise the judge goes by its biases, where only the
/// consultant's side has a voice. A <c>chat</c> consultant is told which answer to argue for (the assignment is the
/// experimenter's, made through the task's claims as for a scripted one; the model never sees it), states its
/// candidate's claims, and chooses, each time the judge questions a claim it cannot check, to split it or stand by it.
/// </summary>
public sealed class ConsultancyProtocol : Protocol
{
    private readonly ConsultancyOptions _options;
    private readonly IConsultant _consultant;

    /// <summary>Sets up the consultancy.</summary>
    /// <param name="options">Its options.</param>
    /// <param name="context">The run.</param>
    /// <param name="task">The task (without its gold evaluator).</param>
    /// <param name="components">The run's component factory (for a chat judge's or a chat consultant's model).</param>
    /// <param name="prompter">The host's role prompter (for a chat judge or consultant).</param>
    public ConsultancyProtocol(ConsultancyOptions options, IRunContext context, ITask task, IComponentFactory? components = null, IRolePrompter? prompter = null)
        : base(options, DebateNames.Consultancy, context, task, components, prompter)
    {
        _options = options;
        if (options.Consultant.Name == DebateNames.ChatDebater)
        {
            if (components is null || prompter is null || options.Consultant.Model is null)
            {
                throw new InvalidOperationException("consultancy's chat consultant needs a model (consultant.model) and the host's component factory and role prompter.");
            }
            _consultant = new ChatConsultant(options.Consultant, options.ConsultantPrompt, Claims, components.Create<IChatClient>(options.Consultant.Model), prompter);
        }
        else
        {
            _consultant = new ScriptedConsultant(new ScriptedDebater(options.Consultant, Claims, context.Seed));
        }
    }

    private protected override Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, Random shared, CancellationToken ct) =>
        PlayAsync(question, order, random, shared, _consultant, ct);

    private async Task<Game> PlayAsync(OversightQuestion question, int[] order, Random random, Random shared, IConsultant consultant, CancellationToken ct)
    {
        var transcript = new List<TranscriptTurn>();
        bool honest = shared.NextDouble() < _options.HonestRate;
        Stance[] beliefs = [consultant.Open(question.Candidates[order[0]]), consultant.Open(question.Candidates[order[1]])];
        int argued = beliefs[0].Honest == beliefs[1].Honest ? 0 : beliefs[0].Honest == honest ? 0 : 1;
        Stance stance = beliefs[argued];
        SideStyle[] styles = [new(), new()];
        string[] answers = [beliefs[0].Answer, beliefs[1].Answer];
        int turns = 0, checks = 0;
        if (stance.Final is null)
        {
            transcript.Add(new TranscriptTurn(Speakers.Consultant, $"argues for candidate {order[argued]}, which states no answer"));
            return Decided(order, order[1 - argued], transcript, checks, turns, "the consultant's candidate states no answer");
        }
        bool persuasive = consultant.Persuasive(stance, random);
        styles[argued].Add(persuasive);
        turns++;
        transcript.Add(new TranscriptTurn(Speakers.Consultant, Styled(string.Create(CultureInfo.InvariantCulture,
            $"Candidate {order[argued]} is right, {stance.Answer}: {Chain(stance.Chain)}."), persuasive)));
        var unasked = Enumerable.Range(0, stance.Chain.Count).ToList();
        string why = "every claim questioned held";
        while (unasked.Count > 0 && checks < Judge.Options.ChecksPerDebate)
        {
            int pick = random.Next(unasked.Count);
            Claim claim = stance.Chain[unasked[pick]];
            unasked.RemoveAt(pick);
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"questions {claim.Text}"));
            while (!Judge.CanCheck(claim))
            {
                IReadOnlyList<Claim> parts = consultant.Split(stance, claim);
                if (parts.Count == 0 || turns >= _options.MaxTurns)
                {
                    break;
                }
                ConsultantDefence defence = await consultant.DefendAsync(stance, claim, parts, new DebaterTurn(question, Speakers.Consultant, transcript), ct).ConfigureAwait(false);
                bool defending = consultant.Persuasive(stance, random);
                styles[argued].Add(defending);
                turns++;
                if (!defence.Splits)
                {
                    transcript.Add(new TranscriptTurn(Speakers.Consultant, defence.Forfeit is { } reason
                        ? $"forfeits the turn ({reason})"
                        : Styled($"{claim.Text} holds; I stand by it.", defending)));
                    break;
                }
                transcript.Add(new TranscriptTurn(Speakers.Consultant, Styled($"{claim.Text} holds because: {Chain(parts)}.", defending)));
                claim = parts[random.Next(parts.Count)];
                transcript.Add(new TranscriptTurn(Speakers.Judge, $"questions {claim.Text}"));
            }
            if (!Judge.CanCheck(claim))
            {
                transcript.Add(new TranscriptTurn(Speakers.Judge, $"cannot check {claim.Text}"));
                why = "a questioned claim could not be checked";
                continue;
            }
            checks++;
            bool? holds = Judge.Check(claim);
            transcript.Add(new TranscriptTurn(Speakers.Judge, $"checks {claim.Text}: {DirectProtocol.Holds(holds)}"));
            if (holds == false)
            {
                return Decided(order, order[1 - argued], transcript, checks, turns, "the consultant stated a false claim");
            }
            if (holds == true && claim.IsFinal)
            {
                return Decided(order, order[argued], transcript, checks, turns, "the consultant's answer checks out");
            }
        }
        return Fallback(question, order, [(styles[0], answers[0]), (styles[1], answers[1])], random, transcript, checks, turns, why);
    }
}
