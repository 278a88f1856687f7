namespace Sidecars.ConfigSync;

/// <summary>
/// Asks the app whether it took the new version: polls the confirm URL until it answers 2xx, or the timeout passes
/// (failed, with the last status or error; at most one poll interval late).
/// </summary>
internal sealed class Confirmer(Uri url, TimeSpan timeout, HttpClient client, TimeProvider? time = null)
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly HttpTarget _target = new(url);
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public async Task<Attempt> ConfirmAsync(CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var polls = 0;
        while (true)
        {
            var left = timeout - _time.GetElapsedTime(started);
            // Each call gets what is left of the whole time, so a hanging app cannot stretch it by more than one
            // poll interval; and at least that interval, so a last poll near the end still gets a real answer.
            var result = await _target.SendAsync(client, HttpMethod.Get, content: null, left > PollInterval ? left : PollInterval, cancellationToken);
            polls++;
            if (result.Success)
            {
                return new Attempt(true, $"{_target.Display} answered {result.Status} after {polls} {(polls == 1 ? "poll" : "polls")}");
            }

            if (_time.GetElapsedTime(started) + PollInterval >= timeout)
            {
                var last = result.Outcome == HttpCallOutcome.TimedOut ? "did not answer in time" : result.Describe(timeout);
                return new Attempt(false, $"{_target.Display} not confirmed within {timeout.TotalSeconds:0.###} s ({polls} polls); last: {last}");
            }

            await Task.Delay(PollInterval, _time, cancellationToken);
        }
    }
}
