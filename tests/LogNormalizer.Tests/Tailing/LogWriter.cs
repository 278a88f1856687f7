using System.Text;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.LogNormalizer.Tests.Tailing;

/// <summary>
/// A program writing numbered lines fast to one log, each line under a lock, and the rotations a log rotator does
/// under the same lock, so the log itself loses nothing and every line must come out of the tailer exactly once.
/// </summary>
internal sealed class LogWriter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _path;
    private FileStream _stream;
    private Thread? _thread;
    private int _written;

    public LogWriter(string path)
    {
        _path = path;
        _stream = Open(path);
    }

    public int Written => Volatile.Read(ref _written);

    /// <summary>Why the writer stopped early (a thread's exception would end the test host).</summary>
    public string? Failure { get; private set; }

    /// <summary>Rotations done so far.</summary>
    public int Rotations { get; private set; }

    /// <summary>
    /// Writes lines 1 to <paramref name="total"/> as fast as it can; every <paramref name="rotateEvery"/> lines it
    /// rotates, once <paramref name="caughtUp"/> says the tailer delivered a line written after the previous rotation.
    /// </summary>
    public void Start(int total, int rotateEvery = 0, Func<LogWriter, int, int>? rotate = null, Func<int, bool>? caughtUp = null)
    {
        _thread = new Thread(() =>
        {
            var lastRotated = 0;
            for (var n = 1; n <= total; n++)
            {
                if (rotate is not null && rotateEvery > 0 && n % rotateEvery == 1 && n > 1)
                {
                    if (!SpinWait.SpinUntil(() => caughtUp?.Invoke(lastRotated + 1) ?? true, Timeouts.Converge))
                    {
                        Failure = $"the tailer never delivered line {lastRotated + 1}";
                        return;
                    }

                    lastRotated = rotate(this, ++Rotations);
                }

                var bytes = Encoding.UTF8.GetBytes(Numbered.Line(n) + "\n");
                lock (_lock)
                {
                    _stream.Write(bytes);
                    Volatile.Write(ref _written, n);
                }
            }
        })
        { IsBackground = true };
        _thread.Start();
    }

    public async Task WaitWrittenAsync(int count)
    {
        await Wait.UntilAsync(() => Task.FromResult(Written >= count || Failure is not null), Timeouts.Converge, () => $"the writer to write {count} lines (wrote {Written})");
        Assert.Null(Failure);
    }

    /// <summary><c>mv app.log app.log.N</c>, then a new app.log the program writes to; returns the last line in the old file.</summary>
    public int RotateByRename(int n)
    {
        lock (_lock)
        {
            _stream.Dispose();
            File.Move(_path, _path + "." + n);
            _stream = Open(_path);
            return _written;
        }
    }

    /// <summary>logrotate's copytruncate (older copies shifted up); returns the last line in the copy.</summary>
    public int RotateByCopyTruncate(int keep)
    {
        lock (_lock)
        {
            for (var k = keep - 1; k >= 1; k--)
            {
                if (File.Exists(_path + "." + k))
                {
                    File.Move(_path + "." + k, _path + "." + (k + 1), overwrite: true);
                }
            }

            File.Copy(_path, _path + ".1");
            _stream.SetLength(0);
            return _written;
        }
    }

    public void Dispose()
    {
        _thread?.Join(Timeouts.Converge);
        _stream.Dispose();
    }

    private static FileStream Open(string path)
    {
        // No buffer: each line is one write(2), seen by the tailer as soon as it is written.
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
        stream.Seek(0, SeekOrigin.End);
        return stream;
    }
}
