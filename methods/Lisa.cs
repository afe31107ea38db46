// LISA — Pan, Liu, Diao, Pi, Zhang & Zhang, "LISA: Layerwise Importance Sampling for Memory-Efficient Large Language
// Model Fine-Tuning", NeurIPS 2024 (arXiv 2403.17919), Algorithm 1:
//     for i = 0 … T/K − 1: freeze every layer except the embeddings and the head; sample γ of the N_L layers
//     uniformly without replacement and unfreeze them; run AdamW for K steps.
// Read against LMFlow's LISATrainer (the authors' code): the layers are the blocks of the model's layer list, sampled
// from all of them; everything outside the blocks (embeddings, final norm) always trains; at each switch the optimizer
// is rebuilt and keeps its state only for the always-trained parameters. Here the one AdamW holds every parameter
// from the start (the trainer builds it once): a frozen block gets grad = None (TorchSharp's zero_grad zeroes existing
// gradients instead of dropping them, and AdamW skips only a missing gradient, so without this a block would keep
// decaying and drifting on momentum after it is frozen); an activated block's AdamW state restarts at step 0 with zero
// moments, as in the rebuilt optimizer. Memory is therefore not saved here (the state of every block is allocated up
// front); the math is LISA's.
// Defaults: γ = 2 (the paper's LLaMA-2 experiments and LMFlow's example use 1–2 of 32 layers; on our 4-layer backbones
// γ = 2 is half the blocks), K = 20 (LMFlow's lisa_interval_steps in its example script; the paper tunes K per task, and
// 20 keeps ≥ 10 switches on our 200-step default runs), learning rate 3e-4 (full-FT's: LISA is full-parameter AdamW on
// the sampled layers). The schedule is drawn from the cell seed.
// Trainable parameters (at any one time, what the harness counts): everything outside the blocks + γ·(parameters per
// block). Over a run, every block may be trained.

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>LISA settings: γ layers active at a time, re-sampled every K optimizer steps.</summary>
public sealed record LisaConfig : MethodConfig
{
    public LisaConfig() => LearningRate = 3e-4;

    /// <summary>γ: blocks trained at a time.</summary>
    public int ActivatedLayers { get; init; } = 2;
    /// <summary>K: optimizer steps between re-samplings.</summary>
    public int Interval { get; init; } = 20;

    public override IEnumerable<string> Validate()
    {
        foreach (var problem in base.Validate()) yield return problem;
        if (ActivatedLayers < 1) yield return $"activated_layers must be at least 1 (got {ActivatedLayers}).";
        if (Interval < 1) yield return $"interval must be at least 1 step (got {Interval}).";
    }
}

/// <summary>Embeddings and head always train; γ sampled blocks train at a time, re-sampled every K steps.</summary>
public sealed class Lisa : PeftMethod<LisaConfig>
{
    public override string Id => "lisa";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Pan et al., NeurIPS 2024 (LISA), Alg. 1: every K steps unfreeze γ uniformly sampled layers (embeddings, head always), AdamW.";
    public override string Description => "Trains the embeddings and head plus γ = 2 blocks sampled uniformly every K = 20 steps (AdamW restarts on the new blocks).";
    public override LisaConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    public override string? NotApplicableReason(SiteRegistry sites) => TransformerBlock.EqualBlocksProblem(TransformerBlock.Of(sites));

    protected override IEnumerable<string> Validate(LisaConfig config, SiteRegistry sites)
    {
        var layers = TransformerBlock.Of(sites).Count;
        if (config.ActivatedLayers > layers)
            yield return $"{Id}: activated_layers {config.ActivatedLayers} exceeds the {layers} blocks of this backbone; use at most {layers}.";
    }

    protected override long CountTrainable(SiteRegistry sites, LisaConfig config)
    {
        var blocks = TransformerBlock.Of(sites);
        var perBlock = blocks.Count == 0 ? 0 : blocks[0].ParameterCount;
        return sites.BackboneParameters - blocks.Sum(b => b.ParameterCount) + config.ActivatedLayers * perBlock;
    }

    protected override MethodAttachment Apply(SequenceClassifier model, LisaConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var blocks = TransformerBlock.Of(model.Sites);
        foreach (var p in TransformerBlock.Outside(model.Backbone, blocks)) p.requires_grad = true;
        var attachment = new LisaAttachment(config, blocks, TransformerBlock.SeededRandom(context.Generator));
        attachment.SampleLayers();
        return attachment;
    }
}

/// <summary>LISA's schedule: which blocks train now, switched after every K-th optimizer step.</summary>
public sealed class LisaAttachment : MethodAttachment
{
    private readonly LisaConfig config;
    private readonly IReadOnlyList<TransformerBlock> blocks;
    private readonly Random random;
    private AdamWMoments? moments;

    internal LisaAttachment(LisaConfig config, IReadOnlyList<TransformerBlock> blocks, Random random) : base(config)
    {
        this.config = config;
        this.blocks = blocks;
        this.random = random;
    }

    /// <summary>Indices of the blocks trained in the current period, ascending.</summary>
    public IReadOnlyList<int> ActiveLayers { get; private set; } = Array.Empty<int>();

    /// <summary>Every block's parameters are in the optimizer from the start, frozen ones included, so a switch needs no new optimizer.</summary>
    public override IEnumerable<(string Group, IReadOnlyList<Parameter> Parameters, double LearningRate)> ParameterGroups(SequenceClassifier model)
    {
        var inBlocks = blocks.SelectMany(b => b.Parameters()).Select(p => p.Handle).ToHashSet();
        yield return ("all", model.parameters().Where(p => p.requires_grad || inBlocks.Contains(p.Handle)).ToList(), Config.LearningRate);
    }

    public override void OptimizerCreated(optim.Optimizer optimizer) => moments = new AdamWMoments(optimizer);

    public override void AfterOptimizerStep(int step, int totalSteps)
    {
        if ((step + 1) % config.Interval == 0 && step + 1 < totalSteps) SampleLayers();
    }

    /// <summary>Freezes every block (dropping its gradient), samples γ blocks without replacement and unfreezes them with fresh AdamW state.</summary>
    internal void SampleLayers()
    {
        foreach (var p in blocks.SelectMany(b => b.Parameters()))
        {
            p.requires_grad = false;
            p.grad = null;
        }
        var order = Enumerable.Range(0, blocks.Count).ToArray();
        for (var i = 0; i < config.ActivatedLayers; i++)
        {
            var j = i + random.Next(order.Length - i);
            (order[i], order[j]) = (order[j], order[i]);
        }
        ActiveLayers = order.Take(config.ActivatedLayers).Order().ToList();
        foreach (var p in ActiveLayers.SelectMany(i => blocks[i].Parameters()))
        {
            p.requires_grad = true;
            moments?.Restart(p);
        }
    }
}
