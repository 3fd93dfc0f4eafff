using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Runs;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using AlignFx.Tensors.Modules;
using AlignFx.Tensors.Serialization;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels;

/// <summary>
/// The <c>gpt</c> policy: a <see cref="GptModel"/> over a <see cref="GptTokenizer"/> (characters, or GPT-2's BPE). A response's tokens are its
/// <see cref="Response.TokenIds"/> when set (generation sets them, ending with the end token when the response ended on
/// it), else its text's characters followed by the end token; they continue <c>BOS prompt SEP</c>.
/// </summary>
public sealed class GptPolicy : ITrainablePolicy, ITokenizedPolicy, ISequenceEncoderSource, IDisposable
{
    /// <summary>The file names of a checkpoint directory.</summary>
    public const string WeightsFile = "model.safetensors", TokenizerFile = "tokenizer.json";

    private readonly int _scoreBatchSize;

    /// <summary>Creates the policy the manifest describes: from <see cref="GptOptions.Checkpoint"/>, or with random weights and a tokenizer over the task's texts.</summary>
    /// <param name="options">The options.</param>
    /// <param name="context">The run (the initialisation seed stream <c>gpt/init</c>).</param>
    /// <param name="task">The pipeline's task (the tokenizer's alphabet).</param>
    public GptPolicy(GptOptions options, IRunContext context, ITask task)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(task);
        _scoreBatchSize = options.ScoreBatchSize;
        if (!string.IsNullOrEmpty(options.Checkpoint))
        {
            (Model, Tokenizer) = LoadCheckpoint(options.Checkpoint, options.ValueHead, new Generator(context.DeriveSeed("gpt/init")));
        }
        else
        {
            Tokenizer = options.Tokenizer == GptTokenizerKind.Gpt2 ? Gpt2Tokenizer.Instance : CharTokenizer.FromTask(task);
            var config = new GptConfig(Tokenizer.VocabularySize, options.Context, options.DModel, options.Heads, options.Layers,
                options.Dropout, options.TiedHead, options.ValueHead);
            Model = new GptModel(config, new Generator(context.DeriveSeed("gpt/init")));
        }
        Model.Attention = options.Attention;
    }

    internal GptPolicy(GptModel model, GptTokenizer tokenizer, int scoreBatchSize = 128)
    {
        Model = model;
        Tokenizer = tokenizer;
        _scoreBatchSize = scoreBatchSize;
    }

    /// <summary>The network.</summary>
    public GptModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public GptTokenizer Tokenizer { get; }

    /// <inheritdoc />
    public nn.Module Module => Model;

    /// <summary>Reads a checkpoint directory <see cref="Save"/> wrote.</summary>
    /// <param name="directory">The directory (or its weights file).</param>
    /// <param name="valueHead">Give the model a value head (a fresh one when the checkpoint has none); null: as saved.</param>
    /// <returns>The policy.</returns>
    public static GptPolicy Load(string directory, bool? valueHead = null)
    {
        var (model, tokenizer) = LoadCheckpoint(directory, valueHead, new Generator(0));
        return new GptPolicy(model, tokenizer);
    }

    /// <summary>Writes the weights (safetensors), the shape (model.json) and the tokenizer into <paramref name="directory"/>.</summary>
    /// <param name="directory">The directory (created when missing).</param>
    /// <returns>The paths written.</returns>
    public IReadOnlyList<string> Save(string directory)
    {
        Directory.CreateDirectory(directory);
        string weights = Path.Combine(directory, WeightsFile);
        StateDictCheckpoint.Save(Model, weights, Model.Config);
        string tokenizer = Path.Combine(directory, TokenizerFile);
        Tokenizer.Save(tokenizer);
        return [weights, StateDictCheckpoint.ConfigPath(weights), tokenizer];
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<Response>> GenerateAsync(IReadOnlyList<Prompt> prompts, GenerationOptions options, CancellationToken ct) =>
        Task.FromResult(Generate(prompts, options, useCache: true, ct));

    /// <summary>
    /// Batched sampling. Prompts are left-padded (padding is masked out of attention and positions restart after it);
    /// with <paramref name="useCache"/> each step feeds only the new token through the key/value caches, without it
    /// every step recomputes the whole sequence (the reference the cache is checked against).
    /// </summary>
    internal IReadOnlyList<Response> Generate(IReadOnlyList<Prompt> prompts, GenerationOptions options, bool useCache, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        if (prompts.Count == 0)
        {
            return [];
        }
        int batch = prompts.Count;
        int[][] prefixes = [.. prompts.Select(p => Tokenizer.EncodePrompt(p.Text))];
        int promptLength = prefixes.Max(p => p.Length);
        int context = Model.Config.Context;
        if (promptLength >= context)
        {
            throw new ArgumentException($"A prompt of {promptLength} tokens leaves no room in the context of {context}.");
        }
        int maxNew = Math.Min(options.MaxNewTokens, context - promptLength);
        int total = promptLength + maxNew;
        int[] pads = [.. prefixes.Select(p => promptLength - p.Length)];
        // Every token of the batch, left-padded prompts first; positions restart after each row's padding.
        var tokens = new long[batch, total];
        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < prefixes[b].Length; i++)
            {
                tokens[b, pads[b] + i] = prefixes[b][i];
            }
        }

        var random = RandomStreams.Create(options.Seed, "gpt/sample");
        var ids = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        var logProbs = Enumerable.Range(0, batch).Select(_ => new List<float>()).ToArray();
        var texts = new string[batch];
        var done = new bool[batch];
        int[] everyRow = [.. Enumerable.Range(0, batch)];
        // The prompts whose rows the model computes. With the cache, a prompt repeated in the batch (best-of-n, several
        // samples per prompt) is fed once and its cached prefix copied to its rows; and rows that finished leave the
        // batch, since most responses end long before the longest one.
        int[] rows = everyRow;
        int[] firstOf = everyRow;
        if (useCache)
        {
            var first = new Dictionary<string, int>(StringComparer.Ordinal);
            firstOf = [.. prompts.Select((p, b) => first.TryAdd(p.Text, b) ? b : first[p.Text])];
            rows = [.. first.Values.Order()];
        }
        bool wasTraining = Model.training;
        Model.eval();
        var caches = useCache ? Enumerable.Range(0, Model.Config.Layers).Select(_ => new KVCache(total)).ToArray() : null;
        Tensor mask = KeyMask(rows, pads, total);
        Tensor? logits = null;
        try
        {
            using var noGrad = no_grad();
            logits = NextLogits(tokens, rows, pads, 0, promptLength, mask, caches);
            if (rows.Length < batch)
            {
                var position = new int[batch];
                for (int j = 0; j < rows.Length; j++)
                {
                    position[rows[j]] = j;
                }
                int[] from = [.. firstOf.Select(b => position[b])];
                var expanded = Expand(logits, from);
                logits.Dispose();
                logits = expanded;
                (rows, mask) = SelectRows(everyRow, from, pads, total, mask, caches!);
            }
            for (int step = 0; step < maxNew; step++)
            {
                ct.ThrowIfCancellationRequested();
                // Rows in prompt order, so each live row draws from the random stream in the same order as in a full batch.
                bool[] drawing = [.. rows.Select(b => !done[b])];
                var (drawn, drawnLogProbs) = TensorSampler.Sample(logits, drawing, options, random);
                for (int j = 0; j < rows.Length; j++)
                {
                    int b = rows[j];
                    long next = GptTokenizer.Pad;
                    if (drawing[j])
                    {
                        int token = drawn[j];
                        ids[b].Add(token);
                        logProbs[b].Add(drawnLogProbs[j]);
                        next = token;
                        done[b] = token == GptTokenizer.Eos || EndsWithStop(b, ids[b], options.StopSequences, texts);
                    }
                    tokens[b, promptLength + step] = next;
                }
                int live = rows.Count(b => !done[b]);
                if (live == 0 || step == maxNew - 1)
                {
                    break;
                }
                if (caches is not null && live <= rows.Length * 3 / 4)
                {
                    // Compacting moves every cache's rows once; waiting until a quarter of the rows has finished keeps
                    // that below the compute it saves.
                    int[] kept = [.. Enumerable.Range(0, rows.Length).Where(j => !done[rows[j]])];
                    (rows, mask) = SelectRows([.. kept.Select(j => rows[j])], kept, pads, total, mask, caches);
                }
                logits.Dispose();
                logits = caches is not null
                    ? NextLogits(tokens, rows, pads, promptLength + step, 1, mask, caches)
                    : NextLogits(tokens, rows, pads, 0, promptLength + step + 1, mask, null);
            }
        }
        finally
        {
            logits?.Dispose();
            foreach (var cache in caches ?? [])
            {
                cache.Dispose();
            }
            mask.Dispose();
            Model.train(wasTraining);
        }
        return [.. prompts.Select((p, b) => new Response(p, texts[b] ?? Tokenizer.Decode(ids[b]))
        {
            Source = "gpt",
            TokenIds = ids[b],
            TokenLogProbs = logProbs[b],
        })];
    }

    /// <summary>The additive key mask [rows, 1, 1, total] of the prompts <paramref name="rows"/>: their left padding is masked.</summary>
    private static Tensor KeyMask(int[] rows, int[] pads, int total)
    {
        var values = new float[rows.Length * total];
        for (int j = 0; j < rows.Length; j++)
        {
            values.AsSpan(j * total, pads[rows[j]]).Fill((float)GptModel.MaskedScore);
        }
        return tensor(values, [rows.Length, 1, 1, total]);
    }

    /// <summary>
    /// Makes the batch the prompts <paramref name="rows"/>, whose keys and values are the caches' rows
    /// <paramref name="from"/>; returns them with their key mask (the old mask is disposed).
    /// </summary>
    private static (int[] Rows, Tensor Mask) SelectRows(int[] rows, int[] from, int[] pads, int total, Tensor mask, KVCache[] caches)
    {
        using (var index = tensor([.. from.Select(j => (long)j)], [from.Length]))
        {
            foreach (KVCache cache in caches)
            {
                cache.select_rows(index);
            }
        }
        mask.Dispose();
        return (rows, KeyMask(rows, pads, total));
    }

    /// <summary>Row j of the result is row <c>from[j]</c> of <paramref name="logits"/> ([rows, vocabulary], on its device).</summary>
    private static Tensor Expand(Tensor logits, int[] from)
    {
        using var index = tensor([.. from.Select(j => (long)j)], [from.Length]).to(logits.device);
        return logits.index_select(0, index);
    }

    /// <summary>
    /// Feeds tokens [start, start + length) of the prompts <paramref name="rows"/> (the batch the caches hold) and returns
    /// the last position's logits, a contiguous float32 tensor [rows, vocabulary] on the model's device (the caller disposes it).
    /// </summary>
    private Tensor NextLogits(long[,] tokens, int[] rows, int[] pads, int start, int length, Tensor mask, KVCache[]? caches)
    {
        int batch = rows.Length;
        var input = new long[batch * length];
        var positions = new long[batch * length];
        for (int j = 0; j < batch; j++)
        {
            int b = rows[j];
            for (int i = 0; i < length; i++)
            {
                input[(j * length) + i] = tokens[b, start + i];
                positions[(j * length) + i] = Math.Max(0, start + i - pads[b]);
            }
        }
        using var scope = NewDisposeScope();
        using var inputT = tensor(input, [batch, length]);
        using var positionsT = tensor(positions, [batch, length]);
        using var keyMask = mask.narrow(3, 0, start + length);
        using var hidden = Model.Hidden(inputT, positionsT, keyMask, caches);
        using var last = hidden.narrow(1, length - 1, 1);
        var logits = Model.Logits(last);
        // [rows, vocabulary], owned by the caller (a view of the scope's contiguous logits, which keeps their storage).
        var flat = logits.contiguous().reshape(batch, -1);
        return flat.DetachFromDisposeScope();
    }

    private bool EndsWithStop(int row, List<int> ids, IReadOnlyList<string> stops, string[] texts)
    {
        if (stops.Count == 0)
        {
            return false;
        }
        string text = Tokenizer.Decode(ids);
        foreach (string stop in stops)
        {
            if (stop.Length > 0 && text.EndsWith(stop, StringComparison.Ordinal))
            {
                texts[row] = text[..^stop.Length];
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<float[]>> ScoreAsync(IReadOnlyList<Response> responses, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(responses);
        var result = new List<float[]>(responses.Count);
        using var noGrad = no_grad();
        for (int start = 0; start < responses.Count; start += _scoreBatchSize)
        {
            ct.ThrowIfCancellationRequested();
            var chunk = responses.Skip(start).Take(_scoreBatchSize).ToList();
            using var scope = NewDisposeScope();
            TokenScores scores = ScoreTokens(chunk);
            int width = (int)scores.LogProbs.size(1);
            float[] values = scores.LogProbs.contiguous().ToArray<float>();
            for (int b = 0; b < chunk.Count; b++)
            {
                int count = ResponseTokens(chunk[b]).Length;
                result.Add(values.AsSpan(b * width, count).ToArray());
            }
        }
        return Task.FromResult<IReadOnlyList<float[]>>(result);
    }

    /// <inheritdoc />
    public TokenScores ScoreTokens(IReadOnlyList<Response> responses, bool withValues = false)
    {
        ArgumentNullException.ThrowIfNull(responses);
        if (responses.Count == 0)
        {
            throw new ArgumentException("Nothing to score.", nameof(responses));
        }
        var batch = Batch(responses);
        int b = responses.Count;
        using var scope = NewDisposeScope();
        using var input = tensor(batch.Input, [b, batch.Length]);
        using var targets = tensor(batch.Targets, [b, batch.Length, 1]);
        using var index = tensor(batch.ResponseIndex, [b, batch.Width]);
        var mask = tensor(batch.Mask, [b, batch.Width]);
        using var hidden = Model.Hidden(input);
        using var logits = Model.Logits(hidden);
        using var logp = logits.log_softmax(-1);
        using var tokenLogp3 = logp.gather(2, targets);
        using var tokenLogp = tokenLogp3.squeeze(-1);
        using var responseLogp = tokenLogp.gather(1, index);
        var logProbs = responseLogp.mul(mask);
        using var probs = logp.exp();
        using var plogp = probs.mul(logp);
        using var negEntropy = plogp.sum(-1);
        using var entropyAll = negEntropy.neg();
        using var responseEntropy = entropyAll.gather(1, index);
        var entropy = responseEntropy.mul(mask);
        Tensor? values = null;
        if (withValues)
        {
            using var allValues = Model.Values(hidden);
            using var responseValues = allValues.gather(1, index);
            values = responseValues.mul(mask);
            values.MoveToOuterDisposeScope();
        }
        logProbs.MoveToOuterDisposeScope();
        entropy.MoveToOuterDisposeScope();
        mask.MoveToOuterDisposeScope();
        return new TokenScores(logProbs, mask, entropy, values);
    }

    /// <inheritdoc />
    public int CountTokens(string text) => Tokenizer.Encode(text).Length;

    /// <inheritdoc />
    public string DecodeToken(int tokenId) => Tokenizer.Decode(tokenId);

    /// <inheritdoc />
    public IPolicy Snapshot()
    {
        var copy = Model.Copy();
        copy.eval();
        foreach (var p in copy.parameters())
        {
            p.requires_grad = false;
        }
        return new GptPolicy(copy, Tokenizer, _scoreBatchSize);
    }

    /// <inheritdoc />
    public ISequenceEncoder CreateEncoder() => new GptSequenceEncoder(this, Model.Copy());

    /// <summary>Releases the model's tensors.</summary>
    public void Dispose() => Model.Dispose();

    /// <summary>The tokens a response contributes (see the class remarks).</summary>
    internal int[] ResponseTokens(Response response) =>
        response.TokenIds is { } ids ? [.. ids] : [.. Tokenizer.Encode(response.Text), GptTokenizer.Eos];

    /// <summary>
    /// Right-padded <c>BOS prompt SEP response</c> sequences (right padding needs no attention mask: causal attention
    /// never looks ahead), each position's next token, and where each response token's prediction sits.
    /// </summary>
    internal ScoringBatch Batch(IReadOnlyList<Response> responses)
    {
        int b = responses.Count;
        var rows = responses.Select(r => (Prefix: Tokenizer.EncodePrompt(r.Prompt.Text), Answer: ResponseTokens(r))).ToList();
        int length = Math.Max(1, rows.Max(r => r.Prefix.Length + r.Answer.Length - 1));
        int width = Math.Max(1, rows.Max(r => r.Answer.Length));
        if (length > Model.Config.Context)
        {
            throw new ArgumentException($"A prompt and response of {length + 1} tokens exceed the context of {Model.Config.Context}.");
        }
        var input = new long[b * length];
        var targets = new long[b * length];
        var index = new long[b * width];
        var mask = new float[b * width];
        for (int r = 0; r < b; r++)
        {
            int[] seq = [.. rows[r].Prefix, .. rows[r].Answer];
            for (int i = 0; i < seq.Length - 1; i++)
            {
                input[(r * length) + i] = seq[i];
                targets[(r * length) + i] = seq[i + 1];
            }
            for (int j = 0; j < rows[r].Answer.Length; j++)
            {
                index[(r * width) + j] = rows[r].Prefix.Length - 1 + j;
                mask[(r * width) + j] = 1;
            }
        }
        return new ScoringBatch(input, targets, index, mask, length, width);
    }

    /// <summary>Right-padded whole <c>BOS prompt SEP response</c> sequences and the index of each one's last token.</summary>
    internal (long[] Input, long[] Last, int Length) Sequences(IReadOnlyList<Response> responses)
    {
        int[][] rows = [.. responses.Select(r => (int[])[.. Tokenizer.EncodePrompt(r.Prompt.Text), .. ResponseTokens(r)])];
        int length = rows.Max(r => r.Length);
        if (length > Model.Config.Context)
        {
            throw new ArgumentException($"A prompt and response of {length} tokens exceed the context of {Model.Config.Context}.");
        }
        var input = new long[rows.Length * length];
        var last = new long[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            for (int i = 0; i < rows[r].Length; i++)
            {
                input[(r * length) + i] = rows[r][i];
            }
            last[r] = rows[r].Length - 1;
        }
        return (input, last, length);
    }

    private static (GptModel, GptTokenizer) LoadCheckpoint(string path, bool? valueHead, Generator generator)
    {
        string directory = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
        string weights = Path.Combine(directory, WeightsFile);
        if (!File.Exists(weights))
        {
            throw new FileNotFoundException($"No GPT checkpoint at '{path}' (expected {WeightsFile}, model.json and {TokenizerFile}).", weights);
        }
        var saved = StateDictCheckpoint.LoadConfig<GptConfig>(weights)
            ?? throw new InvalidDataException($"The checkpoint '{directory}' has no model.json.");
        var tokenizer = GptTokenizer.Load(Path.Combine(directory, TokenizerFile));
        var config = saved with { ValueHead = valueHead ?? saved.ValueHead };
        var model = new GptModel(config, generator);
        // A value head the checkpoint lacks stays freshly initialised; one it has but the policy does not want is dropped.
        using var scope = NewDisposeScope();
        var state = StateDictCheckpoint.ReadStateDict(weights);
        var kept = state.Where(kv => config.ValueHead || !kv.Key.StartsWith("value_head.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
        var result = model.load_state_dict(kept, strict: false);
        if (result.unexpected_keys.Count > 0 || result.missing_keys.Any(k => !k.StartsWith("value_head.", StringComparison.Ordinal)))
        {
            throw new InvalidDataException($"The checkpoint '{directory}' does not match its model.json: missing [{string.Join(", ", result.missing_keys)}], unexpected [{string.Join(", ", result.unexpected_keys)}].");
        }
        return (model, tokenizer);
    }
}

/// <summary>A scoring batch laid out for tensors (row-major arrays).</summary>
internal sealed record ScoringBatch(long[] Input, long[] Targets, long[] ResponseIndex, float[] Mask, int Length, int Width);

/// <summary>
/// A trainable copy of a GPT trunk that encodes a response as the final hidden state of its last token (the end token
/// for a response given by text), read from right-padded sequences.
/// </summary>
internal sealed class GptSequenceEncoder(GptPolicy policy, GptModel model) : ISequenceEncoder
{
    public nn.Module Module => model;

    public int Dimension => model.Config.DModel;

    public Tensor Encode(IReadOnlyList<Response> responses)
    {
        ArgumentNullException.ThrowIfNull(responses);
        var (tokens, last, length) = policy.Sequences(responses);
        int b = responses.Count, d = Dimension;
        var gatherIndex = new long[b * d];
        for (int r = 0; r < b; r++)
        {
            Array.Fill(gatherIndex, last[r], r * d, d);
        }
        using var scope = NewDisposeScope();
        using var input = tensor(tokens, [b, length]);
        using var index = tensor(gatherIndex, [b, 1, d]);
        using var hidden = model.Hidden(input);
        using var picked = hidden.gather(1, index);
        var encoded = picked.reshape(b, d);
        return encoded.MoveToOuterDisposeScope();
    }
}
