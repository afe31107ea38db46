using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeftBench.Tasks.Code;

/// <summary>The result of one sandboxed run: the outcome, and capped output for the report.</summary>
public sealed record SandboxRun(SampleOutcome Outcome, int? ExitCode, double WallSeconds, string Stdout, string Stderr,
    bool OutputTruncated, string Detail);

/// <summary>
/// Runs an untrusted Python program (a generated MBPP or HumanEval candidate with its tests) in a separate
/// <c>python3</c> process and reports one <see cref="SampleOutcome"/>; it never throws for anything the program does.
/// <para>What is enforced, and by whom (see <see cref="Isolation"/> for what this machine gives):</para>
/// <list type="bullet">
/// <item>Wall clock: the harness kills the whole process tree on expiry. With a PID namespace (<c>unshare -p -f
/// --kill-child</c>) the program is PID 1 of its own namespace, so its death takes every child it forked with it.</item>
/// <item>Memory, file size, core dumps, process count: kernel rlimits (RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_CORE,
/// RLIMIT_NPROC) set by a preamble before the program's first line, hard and soft, so the program cannot raise them back
/// (it runs either as <c>nobody</c> or inside a user namespace without CAP_SYS_RESOURCE over the host). RLIMIT_NPROC binds
/// only when the program runs as <c>nobody</c>; elsewhere the PID namespace and the wall clock contain a fork bomb.</item>
/// <item>Network: OS-enforced by an empty network namespace (<c>unshare -n</c>) where unshare works; otherwise only a
/// best-effort preamble that makes <c>socket.socket</c> raise (a program reaching for <c>_socket</c> gets past it).</item>
/// <item>Files: a fresh throwaway folder <c>jail/work</c> is the working folder, HOME and TMPDIR, and is deleted afterwards.
/// When the harness runs as root the program is dropped to <c>nobody</c>: it cannot write to <c>jail</c> (mode 0700, so
/// <c>../escape.txt</c> fails) nor to anything <c>nobody</c> may not write, but world-writable folders such as /tmp stay
/// writable by absolute path. When the harness runs as an ordinary user the program has that user's file rights.</item>
/// <item>stdin is closed, stdout and stderr are read asynchronously and capped, the environment is replaced by a minimal
/// one, and python3 runs with <c>-I</c> (ignores PYTHON* variables, the user site and the working folder on sys.path).</item>
/// </list>
/// </summary>
public sealed class PythonSandbox
{
    /// <summary>Exit codes the preamble uses to report what it caught (a program may fake them, but only to its own loss).</summary>
    private const int AssertionExit = 1, MemoryExit = 70, EarlyExit = 71, ExceptionExit = 72;

    /// <summary>The sandbox user when the harness runs as root.</summary>
    private const int Nobody = 65534;

    // Runs before the program: set limits, drop privileges, block sockets when no network namespace, then execute the
    // program's text and translate how it ended into an exit code. argv: memory, file size, processes, drop, net-namespace.
    private const string Preamble = """
import os, sys, resource, traceback
def _peftbench_sandbox():
    mem, fsize, nproc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    drop, netns = sys.argv[4] == '1', sys.argv[5] == '1'
    with open('program.py', encoding='utf-8') as f:
        src = f.read()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    if drop:
        os.setgroups([]); os.setgid(65534); os.setuid(65534)
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    if not netns:
        import socket
        class _NoSocket(socket.socket):
            def __init__(self, *a, **k):
                raise OSError(101, 'network is disabled in the PeftBench sandbox')
        socket.socket = _NoSocket
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    return compile(src, 'program.py', 'exec')
try:
    _code = _peftbench_sandbox()
    sys.argv = ['program.py']
    exec(_code, {'__name__': '__main__', '__builtins__': __builtins__})
except SystemExit as e:
    sys.stdout.flush()
    if e.code in (0, None):
        sys.stderr.write('sandbox: the program exited before its tests finished\n'); sys.stderr.flush(); os._exit(71)
    raise
except MemoryError:
    os._exit(70)
except AssertionError:
    traceback.print_exc(); sys.stderr.flush(); os._exit(1)
except BaseException:
    traceback.print_exc(); sys.stderr.flush(); os._exit(72)
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)
""";

    private readonly string[] launcher;
    private readonly bool dropToNobody, networkNamespace;

    private PythonSandbox(string python, string pythonVersion, string[] launcher, bool dropToNobody, bool networkNamespace)
    {
        Python = python;
        PythonVersion = pythonVersion;
        this.launcher = launcher;
        this.dropToNobody = dropToNobody;
        this.networkNamespace = networkNamespace;
    }

    /// <summary>The python3 executable in use.</summary>
    public string Python { get; }
    public string PythonVersion { get; }

    /// <summary>One line saying which isolation is OS-enforced on this machine and which is best-effort.</summary>
    public string Isolation =>
        (networkNamespace ? "network: OS (empty network namespace); processes: OS (PID namespace)" : "network: best-effort (socket.socket disabled; no network namespace)")
        + "; memory/file size: OS (rlimits)"
        + (dropToNobody ? "; files: runs as nobody (cannot write its parent folder; world-writable folders stay writable)"
                        : "; files: runs with the harness user's rights (throwaway working folder only by convention)");

    /// <summary>
    /// Finds the system <c>python3</c> and the strongest isolation that works here, by running a probe through it.
    /// Returns null with <paramref name="why"/> (naming <paramref name="taskId"/> and how to install python3) when none runs,
    /// so a task can report itself as not runnable instead of failing every sample. <paramref name="namespaces"/> false
    /// skips unshare and uses the fallback isolation only (for tests of that path, or where unshare misbehaves);
    /// <paramref name="python"/> names the interpreter instead of searching for the system one.
    /// </summary>
    public static PythonSandbox? Detect(string taskId, out string why, bool namespaces = true, string? python = null)
    {
        python = python is null ? FindPython() : File.Exists(python) ? python : null;
        if (python is null)
        {
            why = $"{taskId}: needs python3 to run generated programs, and none was found (looked in /usr/bin, /usr/local/bin, /bin and PATH). "
                + "Install it (Debian/Ubuntu: `sudo apt-get install python3`) or choose a task that needs nothing installed (the embedded code task).";
            return null;
        }
        bool root = Environment.IsPrivilegedProcess;
        // Strongest first: PID + network namespaces (a user namespace too when not root, which unprivileged unshare needs).
        string[] unshare = root ? ["unshare", "-n", "-p", "-f", "--kill-child"] : ["unshare", "-r", "-n", "-p", "-f", "--kill-child"];
        string? lastProblem = null;
        foreach (var (launcher, netns) in new[] { (unshare, true), (Array.Empty<string>(), false) })
        {
            if (launcher.Length > 0 && (!namespaces || FindOnPath(launcher[0]) is null)) continue;
            var sandbox = new PythonSandbox(python, "", launcher, root, netns);
            var probe = sandbox.Run("import sys\nprint('%d.%d.%d' % sys.version_info[:3])\n", new SandboxLimits { WallSeconds = 10 });
            if (probe.Outcome == SampleOutcome.Passed)
            {
                why = "";
                return new PythonSandbox(python, probe.Stdout.Trim(), launcher, root, netns);
            }
            lastProblem = $"{probe.Outcome}: {probe.Detail} {probe.Stderr.Trim()}";
        }
        why = $"{taskId}: python3 was found at {python} but a trivial program did not run in the sandbox ({lastProblem}); "
            + "check that it starts (`python3 -I -c 'print(1)'`) and that the harness may create temporary folders.";
        return null;
    }

    private static string? FindPython()
    {
        // The system interpreter first: when the harness runs as root the program runs as nobody, who cannot read a
        // per-user install under /root (pyenv and the like).
        foreach (var dir in new[] { "/usr/bin", "/usr/local/bin", "/bin" })
            if (File.Exists(Path.Combine(dir, "python3"))) return Path.Combine(dir, "python3");
        return FindOnPath("python3");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs <paramref name="program"/> under <paramref name="limits"/>; exit 0 after the last line is a pass.</summary>
    public SandboxRun Run(string program, SandboxLimits limits)
    {
        var problems = limits.Validate().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join(" ", problems), nameof(limits));

        string jail = Directory.CreateTempSubdirectory("peftbench-sandbox-").FullName;
        var clock = Stopwatch.StartNew();
        try
        {
            string work = Path.Combine(jail, "work");
            Directory.CreateDirectory(work);
            File.WriteAllText(Path.Combine(work, "program.py"), program, new UTF8Encoding(false));
            if (dropToNobody && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(jail, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                // nobody owns nothing here; an open working folder is what lets it write its own scratch files.
                File.SetUnixFileMode(work, (UnixFileMode)0x1FF); // 0777
            }
            return Execute(work, limits, clock);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return new SandboxRun(SampleOutcome.Crashed, null, clock.Elapsed.TotalSeconds, "", "", false, $"the sandbox could not run the program: {e.Message}");
        }
        finally
        {
            RemoveFolder(jail);
        }
    }

    private SandboxRun Execute(string work, SandboxLimits limits, Stopwatch clock)
    {
        var start = new ProcessStartInfo
        {
            FileName = launcher.Length > 0 ? launcher[0] : Python,
            WorkingDirectory = work,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in launcher.Skip(1)) start.ArgumentList.Add(a);
        if (launcher.Length > 0) start.ArgumentList.Add(Python);
        foreach (var a in new[] { "-I", "-c", Preamble,
                     limits.MemoryBytes.ToString(CultureInfo.InvariantCulture), limits.FileBytes.ToString(CultureInfo.InvariantCulture),
                     limits.Processes.ToString(CultureInfo.InvariantCulture), dropToNobody ? "1" : "0", networkNamespace ? "1" : "0" })
            start.ArgumentList.Add(a);
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = work;
        start.Environment["TMPDIR"] = work;
        start.Environment["LANG"] = "C.UTF-8";

        using var process = new Process { StartInfo = start };
        process.Start();
        process.StandardInput.Close();
        var stdout = new CappedReader(process.StandardOutput.BaseStream, limits.OutputBytes);
        var stderr = new CappedReader(process.StandardError.BaseStream, limits.OutputBytes);

        bool exited = process.WaitForExit(TimeSpan.FromSeconds(limits.WallSeconds));
        if (!exited)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // it exited meanwhile
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        // A grandchild that escaped the kill could hold the pipes open; do not wait for it.
        var drained = Task.WaitAll([stdout.Done, stderr.Done], TimeSpan.FromSeconds(2));
        double seconds = clock.Elapsed.TotalSeconds;
        string outText = stdout.Text, errText = stderr.Text;
        bool truncated = stdout.Truncated || stderr.Truncated;
        if (!exited)
            return new SandboxRun(SampleOutcome.TimedOut, null, seconds, outText, errText, truncated,
                $"killed after the {limits.WallSeconds.ToString(CultureInfo.InvariantCulture)} s wall-clock limit");
        int code = process.ExitCode;
        var (outcome, detail) = code switch
        {
            0 => (SampleOutcome.Passed, "ran to the end"),
            AssertionExit => (SampleOutcome.Failed, "a test failed (AssertionError)"),
            MemoryExit => (SampleOutcome.MemoryExceeded, $"ran out of its {limits.MemoryBytes >> 20} MiB memory limit (MemoryError)"),
            EarlyExit => (SampleOutcome.Failed, "exited with status 0 before its tests finished"),
            ExceptionExit => (SampleOutcome.Crashed, "raised an exception other than AssertionError"),
            > 128 => (SampleOutcome.Crashed, $"killed by signal {code - 128}"),
            _ => (SampleOutcome.Failed, $"exited with status {code}"),
        };
        if (!drained) detail += "; output left unread (a child process kept it open)";
        return new SandboxRun(outcome, code, seconds, outText, errText, truncated, detail);
    }

    /// <summary>Deletes the throwaway folder, first restoring permissions a program may have taken away.</summary>
    private static void RemoveFolder(string jail)
    {
        try { Directory.Delete(jail, recursive: true); return; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        if (OperatingSystem.IsWindows()) return;
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(jail, "*", SearchOption.AllDirectories).Prepend(jail))
                File.SetUnixFileMode(dir, (UnixFileMode)0x1C0); // 0700
            Directory.Delete(jail, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Reads a stream to its end on a worker task, keeping the first <c>cap</c> bytes.</summary>
    private sealed class CappedReader
    {
        private readonly MemoryStream kept = new();
        private readonly int cap;

        public CappedReader(Stream stream, int cap)
        {
            this.cap = cap;
            Done = Task.Run(() => Drain(stream));
        }

        public Task Done { get; }
        public bool Truncated { get; private set; }

        public string Text
        {
            get { lock (kept) return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length); }
        }

        private async Task Drain(Stream stream)
        {
            var buffer = new byte[8192];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                    lock (kept)
                    {
                        int keep = (int)Math.Min(read, cap - kept.Length);
                        if (keep > 0) kept.Write(buffer, 0, keep);
                        if (keep < read) Truncated = true;
                    }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }
        }
    }
}
