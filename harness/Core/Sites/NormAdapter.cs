using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Core.Sites;

/// <summary>
/// A method's transform of one normalisation layer's output (SSF's scale and shift after every LayerNorm/RMSNorm).
/// Norms are plain registered modules that cannot be swapped for a wrapper, so the adapter is registered as a child of
/// the norm (its parameters are named <c>….LayerNorm.ssf.scale</c>: the method's own, counted and saved as such) and
/// runs in a forward hook on the norm, which fires in <c>.call()</c>. An adapter that is affine per feature folds into
/// the norm's own weight and bias (<see cref="Merge"/>), as a <see cref="LinearAdapter"/> folds into W₀.
/// </summary>
public abstract class NormAdapter : nn.Module<Tensor, Tensor>
{
    // A plain object, not a Module or Tensor field: RegisterComponents in a derived class must not register the host
    // norm (a cycle) or the merge copies.
    private readonly AttachState state = new();

    protected NormAdapter(string name) : base(name) { }

    /// <summary>The adapted norm's output, given the norm's output.</summary>
    protected abstract Tensor Transform(Tensor normalised);

    public override Tensor forward(Tensor normalised) => Transform(normalised);

    /// <summary>True when the transform folds into the norm's affine parameters on this norm.</summary>
    public virtual bool CanMerge => false;

    /// <summary>The norm's weight and bias with the transform folded in; only called when <see cref="CanMerge"/>.</summary>
    protected virtual (Tensor Weight, Tensor? Bias) Folded(Tensor weight, Tensor? bias) =>
        throw new NotSupportedException($"{GetType().Name} cannot be merged into its norm.");

    public bool IsMerged => state.Merged;

    /// <summary>The norm's own (non-recursive) parameter <paramref name="name"/>, or null.</summary>
    protected Parameter? NormParameter(string name) =>
        state.Norm?.named_parameters(recurse: false).FirstOrDefault(p => p.name == name).parameter;

    /// <summary>Registers this adapter under <paramref name="norm"/> as <paramref name="name"/> and hooks it onto the norm's output.</summary>
    public void AttachTo(nn.Module norm, string name)
    {
        if (state.Norm is not null) throw new InvalidOperationException($"{name}: this adapter is already attached to a norm.");
        if (norm is not nn.Module<Tensor, Tensor> typed)
            throw new ArgumentException($"{name}: {norm.GetType().Name} is not a Tensor → Tensor module; a norm adapter cannot hook it.");
        if (norm.named_children().Any(c => c.name == name))
            throw new InvalidOperationException($"'{name}' is already attached to this norm.");
        norm.register_module(name, this);
        state.Norm = typed;
        typed.register_forward_hook((_, _, output) => state.Merged ? output : Transform(output));
    }

    /// <summary>Folds the transform into the norm's weight and bias, keeping copies so <see cref="Unmerge"/> restores them exactly.</summary>
    public void Merge()
    {
        if (state.Merged) return;
        if (!CanMerge) throw new InvalidOperationException($"{GetType().Name} cannot be merged into its norm.");
        var weight = NormParameter("weight") ?? throw new InvalidOperationException("the norm has no weight to fold into.");
        var bias = NormParameter("bias");
        using var _ = no_grad();
        var (w, b) = Folded(weight, bias);
        if (b is not null && bias is null) throw new InvalidOperationException($"{GetType().Name} folds a bias into a norm that has none.");
        state.Weight = weight.detach().clone().DetachFromDisposeScope();
        state.Bias = bias?.detach().clone().DetachFromDisposeScope();
        using (w) weight.copy_(w);
        if (b is not null) using (b) bias!.copy_(b);
        state.Merged = true;
    }

    public void Unmerge()
    {
        if (!state.Merged) return;
        using var _ = no_grad();
        NormParameter("weight")!.copy_(state.Weight!);
        if (state.Bias is not null) NormParameter("bias")!.copy_(state.Bias);
        state.Weight?.Dispose();
        state.Bias?.Dispose();
        state.Weight = state.Bias = null;
        state.Merged = false;
    }

    /// <summary>The norm adapters attached to <paramref name="norm"/>, in attachment order.</summary>
    public static IEnumerable<NormAdapter> On(nn.Module norm) => norm.children().OfType<NormAdapter>();

    private sealed class AttachState
    {
        public nn.Module<Tensor, Tensor>? Norm;
        public bool Merged;
        public Tensor? Weight, Bias;
    }
}
