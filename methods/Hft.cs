// HFT — Hui, Zhang, Wang, Xu, Sun & Wu, "HFT: Half Fine-Tuning for Large Language Models", arXiv 2404.18466 (ACL 2025),
// §3: each training stage freezes a random half of the parameters, chosen at category level within every layer
// (self-attention: W_Q, W_K, W_V, W_O; feed-forward: W_gate, W_up, W_down; the layer's norms), and fully updates the other
// half with the stage's usual optimizer; θ_t+1 = θ_t − η·M ⊙ ∇L with a fixed 0/1 mask M per stage. A single-task run
// is one stage.
// Our reading [U: the text was not available here, only the abstract and Figure 2's caption]: per block and per category,
// half of the members train. Odd categories (LLaMA's three FFN matrices, GPT-2's two attention projections of different
// sizes) cannot be halved in one layer, so blocks are paired at random and the two blocks of a pair train complementary
// halves (a random ⌊n/2⌋-subset in one, the rest in the other): every member of every category trains in exactly one
// block of each pair, so exactly half of the block parameters train whatever the draw, and the count is known before the
// draw. With an odd number of blocks the unpaired block trains the first ⌈n/2⌉ members of each category. A linear's bias
// goes with its matrix. The embeddings (which HFT's figure pairs with the LM head, absent from a classifier) stay frozen
// unless train_embeddings = true; the task head always trains. Learning rate 3e-4, full-FT's (HFT is full-parameter AdamW
// on the selected half). All draws come from the cell seed.
// Trainable parameters: ⌊L/2⌋·(parameters per block) (+ the unpaired block's first halves) (+ embeddings if trained).

using PeftBench.Core.Methods;
using PeftBench.Core.Models;
using PeftBench.Core.Sites;
using TorchSharp;
using TorchSharp.Modules;

namespace PeftBench.Methods;

public sealed record HftConfig : MethodConfig
{
    public HftConfig() => LearningRate = 3e-4;

    /// <summary>Also train everything outside the blocks (embeddings, final norm); off by default (see the file header).</summary>
    public bool TrainEmbeddings { get; init; }
}

/// <summary>Half of each block's parameter groups train (attention matrices, FFN matrices, norms), drawn per block pair.</summary>
public sealed class Hft : PeftMethod<HftConfig>
{
    private static readonly string[] AttentionRoles = [SiteRoles.Query, SiteRoles.Key, SiteRoles.Value, SiteRoles.FusedQkv, SiteRoles.AttentionOutput];
    private static readonly string[] MlpRoles = [SiteRoles.MlpUp, SiteRoles.MlpGate, SiteRoles.MlpDown];

    public override string Id => "hft";
    public override int Version => 1;
    public override string Family => "selective";
    public override string Citation => "Hui et al., ACL 2025 (HFT), §3: per layer, a random half of the attention, FFN and norm parameter groups trains, the other half stays frozen.";
    public override string Description => "Trains a random half of each block's attention matrices, FFN matrices and norms (complementary halves in paired blocks); embeddings frozen.";
    public override HftConfig Defaults => new();
    public override bool PreservesOutputAtInit => true;

    /// <summary>One parameter group: a block's linear (weight and bias) or norm, in its category.</summary>
    public sealed record Group(int Block, string Category, int Member, IReadOnlyList<Parameter> Parameters)
    {
        public long Count => Parameters.Sum(p => p.numel());

        /// <summary>A group is its place in the model (block, category, member), not the list object holding its tensors.</summary>
        public bool Equals(Group? other) => other is not null && Block == other.Block && Category == other.Category && Member == other.Member;

        public override int GetHashCode() => HashCode.Combine(Block, Category, Member);
    }

    public override string? NotApplicableReason(SiteRegistry sites)
    {
        var blocks = TransformerBlock.Of(sites);
        if (TransformerBlock.EqualBlocksProblem(blocks) is { } problem) return problem;
        var shapes = blocks.Select(b => string.Join(",", Groups(b).Select(g => $"{g.Category}{g.Member}:{g.Count}"))).Distinct().Count();
        return shapes == 1 ? null : "its transformer blocks differ in their parameter groups, so halves cannot be paired across blocks.";
    }

    protected override long CountTrainable(SiteRegistry sites, HftConfig config)
    {
        var blocks = TransformerBlock.Of(sites);
        if (blocks.Count == 0) return 0;
        var outside = sites.BackboneParameters - blocks.Sum(b => b.ParameterCount);
        var unpaired = blocks.Count % 2 == 1 ? UnpairedHalf(Groups(blocks[0])).Sum(g => g.Count) : 0;
        return blocks.Count / 2 * blocks[0].ParameterCount + unpaired + (config.TrainEmbeddings ? outside : 0);
    }

    protected override MethodAttachment Apply(SequenceClassifier model, HftConfig config, MethodContext context)
    {
        model.FreezeAll();
        model.SetHeadTrainable(true);
        var blocks = TransformerBlock.Of(model.Sites);
        if (config.TrainEmbeddings)
            foreach (var p in TransformerBlock.Outside(model.Backbone, blocks)) p.requires_grad = true;
        var trained = Select(blocks, TransformerBlock.SeededRandom(context.Generator));
        foreach (var p in trained.SelectMany(g => g.Parameters)) p.requires_grad = true;
        return new HftAttachment(config, blocks.SelectMany(Groups).ToList(), trained);
    }

    /// <summary>The groups that train: complementary random halves of every category in randomly paired blocks.</summary>
    internal static IReadOnlyList<Group> Select(IReadOnlyList<TransformerBlock> blocks, Random random)
    {
        var order = blocks.OrderBy(_ => random.Next()).ToList();
        var trained = new List<Group>();
        for (var i = 0; i + 1 < order.Count; i += 2)
        {
            var (first, second) = random.Next(2) == 0 ? (order[i], order[i + 1]) : (order[i + 1], order[i]);
            var secondGroups = Groups(second).ToList();
            foreach (var category in Groups(first).GroupBy(g => g.Category))
            {
                var members = category.ToList();
                var half = members.OrderBy(_ => random.Next()).Take(members.Count / 2).Select(g => g.Member).ToHashSet();
                trained.AddRange(members.Where(g => half.Contains(g.Member)));
                trained.AddRange(secondGroups.Where(g => g.Category == category.Key && !half.Contains(g.Member)));
            }
        }
        if (order.Count % 2 == 1) trained.AddRange(UnpairedHalf(Groups(order[^1])));
        return trained;
    }

    /// <summary>The first ⌈n/2⌉ members of each category: the fixed half of an unpaired block.</summary>
    private static IEnumerable<Group> UnpairedHalf(IEnumerable<Group> groups) =>
        groups.GroupBy(g => g.Category).SelectMany(c => c.Take((c.Count() + 1) / 2));

    /// <summary>A block's groups by category: attention projections, FFN projections, other projections, norms.</summary>
    internal static IEnumerable<Group> Groups(TransformerBlock block)
    {
        string CategoryOf(AdaptableLinear l) => AttentionRoles.Contains(l.Role) ? "attention" : MlpRoles.Contains(l.Role) ? "ffn" : "other";
        foreach (var category in block.Linears.GroupBy(CategoryOf))
        {
            var member = 0;
            foreach (var linear in category) yield return new Group(block.Index, category.Key, member++, TransformerBlock.LinearParameters(linear).ToList());
        }
        var norm = 0;
        foreach (var (_, module) in block.Norms) yield return new Group(block.Index, "norm", norm++, TransformerBlock.NormParameters(module).ToList());
    }
}

/// <summary>HFT's fixed selection for the run: every group of every block, and those that train.</summary>
public sealed class HftAttachment : MethodAttachment
{
    internal HftAttachment(HftConfig config, IReadOnlyList<Hft.Group> all, IReadOnlyList<Hft.Group> trained) : base(config)
    {
        AllGroups = all;
        TrainedGroups = trained;
    }

    public IReadOnlyList<Hft.Group> AllGroups { get; }
    public IReadOnlyList<Hft.Group> TrainedGroups { get; }
}
