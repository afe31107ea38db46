// Access to the trainer's AdamW state for methods that change what trains mid-run: LISA restarts AdamW on the layers it
// activates (its Algorithm 1 runs AdamW afresh for each period), SpIEL re-seeds the moments of regrown indices. TorchSharp's
// AdamW keeps one State (step, exp_avg, exp_avg_sq) per parameter; state_dict() lists them in parameter-group order.

using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace PeftBench.Methods;

/// <summary>The AdamW moments of each parameter an optimizer holds, by tensor handle; empty for other optimizers.</summary>
public sealed class AdamWMoments
{
    private readonly Dictionary<IntPtr, AdamW.State> states = new();

    public AdamWMoments(optim.Optimizer optimizer)
    {
        if (optimizer is not AdamW adamW) return;
        var listed = adamW.state_dict().State;
        var i = 0;
        foreach (var group in adamW.ParamGroups.OfType<ParamGroup>())
            foreach (var p in group.Parameters)
                if (listed[i++] is AdamW.State state) states[p.Handle] = state;
    }

    public AdamW.State? Of(Parameter parameter) => states.GetValueOrDefault(parameter.Handle);

    /// <summary>A fresh start for <paramref name="parameter"/>: step 0 (bias correction restarts) and zero moments.</summary>
    public void Restart(Parameter parameter)
    {
        if (Of(parameter) is not { } state) return;
        using var _ = no_grad();
        state.step = 0;
        state.exp_avg.zero_();
        state.exp_avg_sq.zero_();
    }
}
