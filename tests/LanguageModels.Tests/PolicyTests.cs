using AlignFx.Abstractions.Policies;
using AlignFx.Abstractions.Tasks;
using AlignFx.Tensors;
using static AlignFx.Tensors.torch;

namespace AlignFx.LanguageModels.Tests;

public sealed class PolicyTests
{
    public static TheoryData<double, int, double> SamplingSettings => new()
    {
        { 1.0, 0, 1.0 },
        { 0.7, 5, 1.0 },
        { 1.3, 0, 0.8 },
        { 0.0, 0, 1.0 },
    };

    [Theory]
    [MemberData(nameof(SamplingSettings))]
    public void Generation_with_the_kv_cache_gives_the_tokens_and_log_probs_of_recomputing_every_step(double temperature, int topK, double topP)
    {
        using var policy = Tiny.Policy();
        var options = new GenerationOptions { MaxNewTokens = 12, Temperature = temperature, TopK = topK, TopP = topP, Seed = 7 };
        var cached = Tiny.Generate(policy, options, useCache: true);
        var recomputed = Tiny.Generate(policy, options, useCache: false);
        for (int i = 0; i < cached.Count; i++)
        {
            Assert.Equal(recomputed[i].TokenIds!, cached[i].TokenIds!);
            Assert.Equal(recomputed[i].Text, cached[i].Text);
            Assert.Equal(recomputed[i].TokenLogProbs!.Count, cached[i].TokenLogProbs!.Count);
            for (int t = 0; t < cached[i].TokenLogProbs!.Count; t++)
            {
                Assert.Equal(recomputed[i].TokenLogProbs![t], cached[i].TokenLogProbs![t], 1e-5);
            }
        }
        Assert.Contains(cached, r => r.TokenIds!.Count > 1);
    }

    [Fact]
    public void Repeated_prompts_share_their_prefix_and_finished_rows_leave_the_batch_without_changing_a_sample()
    {
        using var policy = Tiny.Policy(seed: 5, context: 128);
        // Each prompt sixteen times, interleaved, as best-of-n and several-samples-per-prompt batches have them.
        Prompt[] prompts = [.. Enumerable.Range(0, 64).Select(i => Tiny.Prompts[i % Tiny.Prompts.Length])];
        var options = new GenerationOptions { MaxNewTokens = 50, Seed = 9 };
        var cached = Tiny.Generate(policy, prompts, options, useCache: true);
        var recomputed = Tiny.Generate(policy, prompts, options, useCache: false);
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(recomputed[i].TokenIds!, cached[i].TokenIds!);
            Assert.Equal(recomputed[i].TokenLogProbs!.Count, cached[i].TokenLogProbs!.Count);
            for (int t = 0; t < cached[i].TokenLogProbs!.Count; t++)
            {
                Assert.Equal(recomputed[i].TokenLogProbs![t], cached[i].TokenLogProbs![t], 1e-5);
            }
        }
        // The batch shrank several times: most rows ended before the limit, at many different lengths.
        Assert.True(cached.Count(r => r.TokenIds!.Count < 50) >= 24, "too few rows ended early to exercise compaction");
        Assert.True(cached.Select(r => r.TokenIds!.Count).Distinct().Count() >= 10);
    }

    [Fact]
    public void Sampler_log_probs_equal_the_scorers_for_the_same_responses_batched_and_padded()
    {
        using var policy = Tiny.Policy(seed: 3, valueHead: true);
        var responses = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 10, Seed = 11 });
        Assert.True(responses.Select(r => r.TokenIds!.Count).Distinct().Count() > 1 || responses.Count > 1);

        using var scope = NewDisposeScope();
        TokenScores scores;
        using (no_grad())
        {
            scores = policy.ScoreTokens(responses, withValues: true);
        }
        float[] logProbs = scores.LogProbs.contiguous().ToArray<float>();
        float[] mask = scores.Mask.contiguous().ToArray<float>();
        float[] entropy = scores.Entropy.contiguous().ToArray<float>();
        int width = (int)scores.LogProbs.size(1);
        Assert.Equal(responses.Max(r => r.TokenIds!.Count), width);
        Assert.Equal([responses.Count, width], scores.Values!.shape);
        var scored = Tiny.Score(policy, responses);
        for (int b = 0; b < responses.Count; b++)
        {
            var sampled = responses[b].TokenLogProbs!;
            Assert.Equal(sampled.Count, scored[b].Length);
            for (int t = 0; t < width; t++)
            {
                bool real = t < sampled.Count;
                Assert.Equal(real ? 1f : 0f, mask[(b * width) + t]);
                float expected = real ? sampled[t] : 0f;
                Assert.Equal(expected, logProbs[(b * width) + t], 1e-4);
                if (real)
                {
                    Assert.Equal(expected, scored[b][t], 1e-4);
                    // The entropy of a distribution over the vocabulary lies in [0, log V].
                    Assert.InRange(entropy[(b * width) + t], 0f, (float)Math.Log(policy.Model.Config.Vocabulary) + 1e-4f);
                }
                else
                {
                    Assert.Equal(0f, entropy[(b * width) + t]);
                }
            }
        }
    }

    [Fact]
    public void The_fused_attention_option_scores_and_samples_like_the_composed_path_to_float32_rounding()
    {
        using var policy = Tiny.Policy(seed: 3);
        Assert.Equal(GptAttentionKernel.Auto, policy.Model.Attention);
        var options = new GenerationOptions { MaxNewTokens = 10, Seed = 11 };
        var responses = Tiny.Generate(policy, options);
        var composed = Tiny.Score(policy, responses);
        policy.Model.Attention = GptAttentionKernel.Fused;
        var fused = Tiny.Score(policy, responses);
        for (int b = 0; b < responses.Count; b++)
        {
            Assert.Equal(composed[b], fused[b], (x, y) => Math.Abs(x - y) < 1e-5);
            Assert.NotEqual(composed[b], fused[b]);
        }
        // Batched sampling runs the fused kernel with the left-padding mask and the KV cache.
        var sampled = Tiny.Generate(policy, options);
        var rescored = Tiny.Score(policy, sampled);
        for (int b = 0; b < sampled.Count; b++)
        {
            Assert.Equal(sampled[b].TokenLogProbs!, rescored[b], (x, y) => Math.Abs(x - y) < 1e-4);
        }
        using var copy = policy.Model.Copy();
        Assert.Equal(GptAttentionKernel.Fused, copy.Attention);
    }

    [Fact]
    public void Scoring_one_response_alone_or_in_a_padded_batch_gives_the_same_log_probs()
    {
        using var policy = Tiny.Policy(seed: 5);
        var prompt = new Prompt("x", "12+3=?");
        Response[] responses = [new(prompt, "15. surely 15."), new(new Prompt("y", "1=?"), "1"), new(prompt, "")];
        var together = Tiny.Score(policy, responses);
        for (int i = 0; i < responses.Length; i++)
        {
            var alone = Tiny.Score(policy, [responses[i]])[0];
            Assert.Equal(responses[i].Text.Length + 1, alone.Length); // the text's characters and the end token
            Assert.Equal(alone, together[i], (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        using var policy = Tiny.Policy();
        var options = new GenerationOptions { MaxNewTokens = 16, Seed = 21 };
        var a = Tiny.Generate(policy, options).Select(r => r.Text).ToList();
        var b = Tiny.Generate(policy, options).Select(r => r.Text).ToList();
        var c = Tiny.Generate(policy, options with { Seed = 22 }).Select(r => r.Text).ToList();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Stop_sequences_and_the_token_limit_end_responses()
    {
        using var policy = Tiny.Policy();
        var free = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 20, Seed = 1 });
        Assert.All(free, r => Assert.InRange(r.TokenIds!.Count, 1, 20));
        // Stop at the first character the free run produced for prompt 0: the same seed draws the same first token.
        string first = policy.Tokenizer.Decode(free[0].TokenIds![0]);
        Assert.NotEqual("", first); // a special token first would make this test vacuous; seed 1 draws a character
        var stopped = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 20, Seed = 1, StopSequences = [first] });
        Assert.Single(stopped[0].TokenIds!);
        Assert.Equal("", stopped[0].Text);
    }

    [Fact]
    public void Greedy_decoding_picks_the_most_likely_token()
    {
        using var policy = Tiny.Policy();
        var greedy = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 1, Temperature = 0 });
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = tensor(Array.ConvertAll(policy.Tokenizer.EncodePrompt(Tiny.Prompts[0].Text), i => (long)i), [1, Tiny.Prompts[0].Text.Length + 2]);
        var logits = policy.Model.forward(tokens).contiguous().ToArray<float>();
        int v = policy.Model.Config.Vocabulary;
        var last = logits.AsSpan(logits.Length - v).ToArray();
        Assert.Equal(Array.IndexOf(last, last.Max()), greedy[0].TokenIds![0]);
        Assert.Equal(0f, greedy[0].TokenLogProbs![0]);
    }

    [Fact]
    public void Top_k_one_is_greedy_and_log_prob_zero()
    {
        using var policy = Tiny.Policy();
        var topOne = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 6, TopK = 1, Seed = 4 });
        var greedy = Tiny.Generate(policy, new GenerationOptions { MaxNewTokens = 6, Temperature = 0 });
        Assert.Equal(greedy.Select(r => r.TokenIds!), topOne.Select(r => r.TokenIds!));
        Assert.All(topOne.SelectMany(r => r.TokenLogProbs!), lp => Assert.Equal(0f, lp));
    }

    [Fact]
    public void A_snapshot_is_frozen_while_the_policy_trains_on()
    {
        using var policy = Tiny.Policy();
        var snapshot = (GptPolicy)policy.Snapshot();
        Response[] responses = [new(Tiny.Prompts[0], "3")];
        float before = Tiny.Score(snapshot, responses)[0][0];
        Assert.All(snapshot.Model.parameters(), p => Assert.False(p.requires_grad));
        TrainTowards(policy, responses, steps: 5);
        Assert.Equal(before, Tiny.Score(snapshot, responses)[0][0]);
        Assert.True(Tiny.Score(policy, responses)[0][0] > before + 0.1f);
    }

    [Fact]
    public void Overfitting_a_tiny_corpus_through_ScoreTokens_drives_the_loss_near_zero()
    {
        using var policy = Tiny.Policy(seed: 2);
        Response[] corpus =
        [
            new(new Prompt("a", "1+2=?"), "3."),
            new(new Prompt("b", "2*4=?"), "surely 8."),
            new(new Prompt("c", "9-5=?"), "4"),
            new(new Prompt("d", "7+7=?"), "maybe 14?"),
        ];
        double loss = TrainTowards(policy, corpus, steps: 150);
        Assert.True(loss < 0.05, $"loss {loss}");
        var greedy = Tiny.Generate(policy, [.. corpus.Select(r => r.Prompt)], new GenerationOptions { Temperature = 0, MaxNewTokens = 20 });
        Assert.Equal(corpus.Select(r => r.Text), greedy.Select(r => r.Text));
    }

    [Fact]
    public void An_encoder_is_an_independent_trainable_copy_reading_the_last_tokens_hidden_state()
    {
        using var policy = Tiny.Policy();
        ISequenceEncoder encoder = policy.CreateEncoder();
        Assert.Equal(32, encoder.Dimension);
        Response[] responses = [new(Tiny.Prompts[0], "3"), new(Tiny.Prompts[1], "4399. surely.")];
        using var scope = NewDisposeScope();
        var encoded = encoder.Encode(responses);
        Assert.Equal([2, 32], encoded.shape);
        Assert.True(encoded.requires_grad);
        // Row 0 alone (no padding) gives the same vector.
        var alone = encoder.Encode([responses[0]]);
        Assert.Equal(alone.contiguous().ToArray<float>(), encoded.narrow(0, 0, 1).contiguous().ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-5);
        // The encoder's parameters are its own.
        var policyParameters = policy.Model.parameters().Select(p => (Tensor)p).ToHashSet();
        Assert.DoesNotContain(encoder.Module.parameters(), p => policyParameters.Contains(p));
    }

    [Fact]
    public void Values_and_encodings_are_differentiable_into_their_own_parameters_only()
    {
        using var policy = Tiny.Policy(valueHead: true);
        Response[] responses = [new(Tiny.Prompts[0], "3"), new(Tiny.Prompts[2], "66.")];
        using (var scope = NewDisposeScope())
        {
            var scores = policy.ScoreTokens(responses, withValues: true);
            using var loss = scores.Values!.sum();
            loss.backward();
        }
        var grads = policy.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        Assert.NotNull(grads["value_head.weight"]);
        Assert.NotNull(grads["tok_emb.weight"]);
        Assert.Null(grads["lm_head.weight"]); // values do not pass through the LM head
        policy.Model.zero_grad();

        ISequenceEncoder encoder = policy.CreateEncoder();
        using (var scope = NewDisposeScope())
        {
            using var loss = encoder.Encode(responses).sum();
            loss.backward();
        }
        Assert.All(encoder.Module.named_parameters().Where(p => p.name.StartsWith("blocks.", StringComparison.Ordinal)), p => Assert.NotNull(p.parameter.grad));
        Assert.All(policy.Model.parameters(), p => Assert.Null(p.grad));
    }

    /// <summary>Minimises the responses' negative log-likelihood with AdamW; returns the last mean loss per token.</summary>
    internal static double TrainTowards(GptPolicy policy, IReadOnlyList<Response> responses, int steps)
    {
        using var optimizer = optim.AdamW(policy.Model.parameters(), 1e-2, weight_decay: 0);
        double last = double.NaN;
        for (int i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var scores = policy.ScoreTokens(responses);
            using var total = scores.LogProbs.sum();
            using var count = scores.Mask.sum();
            using var mean = total.div(count);
            using var loss = mean.neg();
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            last = loss.item<float>();
        }
        return last;
    }
}
