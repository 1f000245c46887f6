"""EMG commands: `unclench emg analyze FILE`, `emg live`, `emg record`, `emg list`, `emg to-episode`, `emg delete`."""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from unclench.body.taxonomy import split_region_side
from unclench.core.cli_db import cli_session
from unclench.core.console import lazy_console
from unclench.core.errors import UserInputError
from unclench.core.formatting import local_time
from unclench.emg.board_names import NOT_A_RECORDING_BOARDS, OFFERED_BOARDS

# The EMG modules load NumPy, SciPy, pandas, matplotlib and BrainFlow: each command imports what it uses when it
# runs, so the rest of the CLI (and `--help`) never loads them.
if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Table

    from unclench.emg import service
    from unclench.emg.boards import BoardRequest
    from unclench.emg.dsp import ChannelAnalysis
    from unclench.emg.monitor import Frame, Monitor

console = lazy_console()
emg_app = typer.Typer(help="Surface-EMG biofeedback: analyse recordings, live feedback, record.", no_args_is_help=True)


def parse_regions(items: list[str]) -> dict[str, service.RegionChoice]:
    """['emg1=jaw:left', 'emg2=neck_back'] → {channel: RegionChoice}."""
    from unclench.emg import service

    out: dict[str, service.RegionChoice] = {}
    for item in items:
        ch, eq, spec = item.partition("=")
        if not eq or not ch.strip() or not spec.strip():
            raise UserInputError.single("--region", f"expected CHANNEL=REGION[:SIDE], got {item!r}")
        region, side = split_region_side(spec)
        out[ch.strip()] = service.RegionChoice(region, side or None)
    return out


def summary_table(results: list[ChannelAnalysis], names: list[str], title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for col in ("channel", "resting tone µV", "bursts", "per min", "mains", "flat s", "clipped s", "motion s"):
        table.add_column(col, justify="right" if col != "channel" else "left")
    for name, r in zip(names, results, strict=True):
        table.add_row(
            name,
            f"{r.resting_tone_uv:.2f}",
            str(len(r.bursts)),
            f"{r.burst_rate_per_min:.2f}",
            f"{r.clean.mains_hz:g} Hz" if r.clean.mains_hz else "none",
            f"{r.quality['flat_s']:.1f}",
            f"{r.quality['clipped_s']:.1f}",
            f"{r.quality['motion_s']:.1f}",
        )
    return table


@emg_app.command("analyze")
def analyze(
    file: Path = typer.Argument(..., help="CSV, EDF/EDF+ or BDF/BDF+ file."),
    fs: float | None = typer.Option(None, "--fs", help="Sample rate in Hz (CSV without a time column)."),
    unit: str | None = typer.Option(None, help="uV, mV or V (CSV; otherwise read from the header or detected)."),
    channel: list[str] = typer.Option([], "--channel", "-c", help="Only these channels (repeatable)."),
    region: list[str] = typer.Option([], "--region", help="Tie a channel to a body region: emg1=jaw:left."),
    plot: Path | None = typer.Option(None, help="PNG plot path (default: FILE-emg.png in this folder)."),
    save: bool = typer.Option(True, help="Keep the recording and its numbers in your data (--no-save: just show)."),
    listen: str | None = typer.Option(None, help="Tie the recording to a session listen id."),
    offset: float | None = typer.Option(
        None, help="With --listen: seconds into the recording at which the session began (default: start times)."
    ),
    bursts: bool = typer.Option(False, "--bursts", help="Also list every burst."),
    as_json: bool = typer.Option(
        False, "--json", help="Print the result as JSON only (schema: docs/emg-json.md); no plot unless --plot."
    ),
) -> None:
    """Analyse an EMG file: resting tone, bursts (twitch, burst, sustained), quality; a table and a PNG plot.

    Example: unclench emg analyze night.edf --region emg1=jaw:left
    Example: unclench emg analyze night.edf --no-save --json
    """
    from unclench.emg import service
    from unclench.emg.dsp import AnalysisSettings
    from unclench.emg.plot import plot_analysis
    from unclench.emg.readers import open_recording

    if not file.exists():
        raise UserInputError.single("FILE", f"{file} does not exist")
    regions = parse_regions(region)
    settings = AnalysisSettings()  # one value for the numbers shown and the numbers saved
    t0 = time.perf_counter()
    with open_recording(file, fs=fs, unit=unit, channels=channel or None) as rec:
        results = service.analyze_recording(rec, settings=settings)
        names = list(rec.channel_names)
        info = f"{rec.duration_s / 60:.1f} min at {rec.fs:g} Hz, units {', '.join(rec.units)} ({rec.unit_source})"
    elapsed = time.perf_counter() - t0
    if as_json:
        typer.echo(json.dumps(service.analysis_json(file.name, names, results)))
        if plot is not None:
            plot_analysis(results, names, plot, title=file.name)
    else:
        _print_analysis(file, results, names, info, elapsed, bursts, plot)
    if save:
        with cli_session() as db:
            stored = service.import_file(
                db,
                path=file,
                fs=fs,
                unit=unit,
                channels=channel or None,
                regions=regions,
                listen_id=listen,
                listen_offset_s=offset,
                settings=settings,
            )
            if not as_json:
                console.print(f"saved as recording {stored.id}")


def _print_analysis(
    file: Path,
    results: list[ChannelAnalysis],
    names: list[str],
    info: str,
    elapsed: float,
    bursts: bool,
    plot: Path | None,
) -> None:
    from rich.table import Table

    console.print(summary_table(results, names, f"{file.name}: {info}"))
    r0 = results[0]
    console.print(
        f"[dim]method: band-pass {r0.clean.low_hz:g}–{r0.clean.high_hz:g} Hz, notch {list(r0.clean.notch_hz) or 'none'} "
        f"({r0.clean.notch_mode}), RMS {r0.window_s * 1000:.0f} ms, thresholds on/off "
        f"{r0.burst_params.k_on:g}/{r0.burst_params.k_off:g}×spread (at least {r0.burst_params.min_on_ratio:g}/"
        f"{r0.burst_params.min_off_ratio:g}× rest) over a robust rest baseline, onsets from the change point, "
        f"timed on a {r0.burst_params.fine_window_s * 1000:.0f} ms envelope, "
        f"heartbeats {'removed (' + format(r0.clean.ecg_bpm, 'g') + ' bpm)' if r0.clean.ecg_bpm else 'none found'}, "
        f"min {r0.burst_params.min_duration_s * 1000:.0f} ms, gaps < {r0.burst_params.bridge_s * 1000:.0f} ms bridged; "
        f"analysed in {elapsed:.2f} s[/dim]"
    )
    if bursts:
        bt = Table(title="bursts")
        for col in ("channel", "onset s", "duration s", "kind", "peak µV", "clipped"):
            bt.add_column(col)
        for name, r in zip(names, results, strict=True):
            for b in r.bursts:
                bt.add_row(
                    name,
                    f"{b.onset_s:.3f}",
                    f"{b.duration_s:.3f}",
                    b.kind,
                    f"{b.peak_uv:.0f}",
                    "yes" if b.clipped else "",
                )
        console.print(bt)
    from unclench.emg.plot import plot_analysis  # matplotlib: only when a plot is drawn

    out = plot or Path.cwd() / f"{file.stem}-emg.png"
    plot_analysis(results, names, out, title=file.name)
    console.print(f"plot: {out}")


# The board options `live` and `record` share.
BoardName = Annotated[str, typer.Option(help=f"{', '.join(OFFERED_BOARDS)}… (or any BrainFlow BoardIds name).")]
SerialPort = Annotated[str | None, typer.Option(help="Serial port of a dongle board, e.g. /dev/ttyUSB0.")]
MacAddress = Annotated[str | None, typer.Option(help="Bluetooth address, for boards that need one.")]
IpAddress = Annotated[str | None, typer.Option(help="IP address of a WiFi board.")]
PlaybackFile = Annotated[Path | None, typer.Option(help="BrainFlow file for --board playback.")]
MasterBoard = Annotated[str | None, typer.Option(help="Board that recorded the playback file.")]


def _board_request(
    board: str, serial_port: str | None, mac: str | None, ip: str | None, file: Path | None, master: str | None
) -> BoardRequest:
    from unclench.emg.boards import BoardRequest

    return BoardRequest(
        name=board,
        serial_port=serial_port,
        mac_address=mac,
        ip_address=ip,
        file=str(file) if file else None,
        master_board=master,
    )


def _gauge(frame: Frame, monitor: Monitor, started: float) -> Group:
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    elapsed = time.monotonic() - started
    if frame.phase == "calibrating":
        body = Text(f"Calibrating — sit still and let go… {frame.calibration_left_s:4.1f} s", style="bold cyan")
        return Group(Panel(body, title="unclench · EMG"))
    value = frame.gauge_uv or 0.0
    target = monitor.target_uv or 1.0
    scale = max(target * 6, 1.0)
    width = 50
    filled = min(width, int(value / scale * width))
    mark = min(width - 1, int(target / scale * width))
    bar = "".join("█" if i < filled else ("│" if i == mark else "·") for i in range(width))
    style = "green" if value <= target else ("yellow" if value <= target * 2 else "red")
    bursts = sum(len(b) for b in monitor.bursts)
    lines = Text()
    lines.append(f"{bar}\n", style=style)
    lines.append(f"tension {value:6.1f} µV   target {target:.1f} µV   ")
    lines.append(f"below target {monitor.below_target_s:5.0f} s   bursts {bursts}   time {elapsed:5.0f} s")
    return Group(Panel(lines, title="unclench · EMG (Ctrl+C to stop)"))


def _run_live(
    req: BoardRequest, minutes: float, calibration: float, target: float | None, channel: list[int]
) -> Monitor:
    from rich.live import Live

    from unclench.emg.boards import open_source
    from unclench.emg.monitor import Monitor, run_source

    with open_source(req, channels=channel or None) as src:
        for w in src.warnings:
            console.print(f"[yellow]warning:[/yellow] {w}")
        monitor = Monitor(src.fs, src.channel_names, calibration_s=calibration, target_uv=target)
        src.start()
        started = time.monotonic()
        with Live(console=console, refresh_per_second=10) as live, contextlib.suppress(KeyboardInterrupt):
            run_source(
                src,
                monitor,
                duration_s=minutes * 60,
                on_frame=lambda f: live.update(_gauge(f, monitor, started)),
            )
    return monitor


@emg_app.command("live")
def live_cmd(
    board: BoardName = "synthetic",
    serial_port: SerialPort = None,
    mac_address: MacAddress = None,
    ip_address: IpAddress = None,
    file: PlaybackFile = None,
    master_board: MasterBoard = None,
    minutes: float = typer.Option(5.0, help="How long to run."),
    calibration: float = typer.Option(10.0, help="Seconds of rest at the start to learn your baseline."),
    target: float | None = typer.Option(None, help="Target tension in µV (default: your calibration rest level)."),
    channel: list[int] = typer.Option([], "--channel", help="EMG channel numbers of the board (1-based)."),
) -> None:
    """Live biofeedback in the terminal: a tension gauge, your target, bursts as they happen.

    Example: unclench emg live --board synthetic --minutes 1
    """
    monitor = _run_live(
        _board_request(board, serial_port, mac_address, ip_address, file, master_board),
        minutes,
        calibration,
        target,
        channel,
    )
    s = monitor.summary()
    console.print(
        f"done: {s['duration_s']:.0f} s, bursts {s['burst_counts']}, below target {s['time_below_target_s']:.0f} s"
    )


@emg_app.command("record")
def record(
    board: BoardName,
    serial_port: SerialPort = None,
    mac_address: MacAddress = None,
    ip_address: IpAddress = None,
    file: PlaybackFile = None,
    master_board: MasterBoard = None,
    minutes: float = typer.Option(10.0, help="How long to record."),
    calibration: float = typer.Option(10.0, help="Seconds of rest at the start to learn your baseline."),
    target: float | None = typer.Option(None, help="Target tension in µV."),
    channel: list[int] = typer.Option([], "--channel", help="EMG channel numbers of the board (1-based)."),
    region: list[str] = typer.Option([], "--region", help="Tie a channel to a body region: emg1=jaw:left."),
    listen: str | None = typer.Option(None, help="Tie the recording to a session listen id."),
    bdf: bool = typer.Option(False, help="Save BDF+ (24 bit) instead of EDF+ (16 bit)."),
) -> None:
    """Record with live feedback; saves the raw signal (EDF+/BDF+ with burst annotations) and a summary.

    Example: unclench emg record --board cyton --serial-port /dev/ttyUSB0 --minutes 1 --region emg1=jaw:left
    """
    from unclench.emg import service

    if board.strip().lower() in NOT_A_RECORDING_BOARDS:  # refused before the minutes of recording, not after
        raise UserInputError.single(
            "--board", f"{service.NOT_SAVED_REASON} Try it with `unclench emg live --board {board}`."
        )
    regions = parse_regions(region)
    req = _board_request(board, serial_port, mac_address, ip_address, file, master_board)
    monitor = _run_live(req, minutes, calibration, target, channel)
    with cli_session() as db:
        stored = service.save_live_recording(db, monitor, board=board, regions=regions, listen_id=listen, bdf=bdf)
        console.print(f"saved recording {stored.id} ({stored.duration_s:.0f} s)")


@emg_app.command("list")
def list_cmd() -> None:
    """List stored EMG recordings with their resting tone and bursts.

    Example: unclench emg list
    """
    from rich.table import Table

    from unclench.emg import service

    with cli_session() as db:
        table = Table(title="EMG recordings")
        for col in ("id", "recorded", "name", "min", "channel", "region", "tone µV", "bursts"):
            table.add_column(col)
        for rec in service.list_recordings(db):
            for ch in rec.channels:
                table.add_row(
                    rec.id[:8],
                    rec.recorded_at.strftime("%Y-%m-%d %H:%M"),
                    rec.original_name[:30],
                    f"{rec.duration_s / 60:.1f}",
                    ch.name,
                    f"{ch.region_id or ''} {ch.side or ''}".strip(),
                    f"{ch.resting_tone_uv:.2f}" if ch.resting_tone_uv is not None else "",
                    str(ch.burst_count),
                )
        console.print(table)


@emg_app.command("to-episode")
def to_episode(
    burst_id: int = typer.Argument(..., help="Burst id (see the web page or `emg analyze --bursts`)."),
    kind: str = typer.Option("tension", help="twitch, tic, cramp, spasm or tension."),
) -> None:
    """Turn a detected burst into a diary episode in its channel's body region.

    Example: unclench emg to-episode 42 --kind spasm
    """
    from unclench.emg import service

    with cli_session() as db:
        ep = service.burst_to_episode(db, burst_id=burst_id, kind=kind)
        console.print(f"diary episode {ep.id} created")


@emg_app.command("tie")
def tie_cmd(
    recording_id: str = typer.Argument(..., help="The recording's id, or its first characters as `emg list` shows."),
    listen_id: str = typer.Argument(..., help="The session listen it was made during (see /sessions)."),
    offset: float | None = typer.Option(
        None, help="Seconds into the recording at which the session began (default: from the two start times)."
    ),
) -> None:
    """Tie a recording to the listen it was made during and show its resting tone per part of the session.

    Example: unclench emg tie 3f9a1c2e 7b21c0d4e5f6a7b8c9d0e1f2a3b4c5d6 --offset 60
    """
    from rich.table import Table

    from unclench.emg import service
    from unclench.emg.dsp.session_tone import describe_chapter

    with cli_session() as db:
        rec = service.find_recording(db, recording_id)
        service.tie_to_listen(db, recording_id=rec.id, listen_id=listen_id, offset_s=offset)
        [tied] = [t for t in service.listen_recordings(db, listen_id=listen_id) if t.recording.id == rec.id]
        for channel, tone in tied.channels:
            table = Table(title=f"{channel.name}: the session began {rec.listen_offset_s:.0f} s into the recording")
            for column in ("part", "resting tone µV", "change %", "bursts", "what the muscle did"):
                table.add_column(column)
            for c in tone.chapters:
                is_ref = tone.reference == "first chapter" and c.title == tone.reference_title
                table.add_row(
                    c.title,
                    f"{c.tone_uv:.1f}" if c.tone_uv is not None else "—",
                    f"{c.change_pct:+.0f}" if c.change_pct is not None else "—",
                    str(c.bursts),
                    describe_chapter(c, is_reference=is_ref),
                )
            console.print(table)


@emg_app.command("delete")
def delete_cmd(
    recording_id: str = typer.Argument(..., help="The recording's id, or its first characters as `emg list` shows."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Delete a recording: it leaves the lists and insights (importing the same file again brings it back).

    Example: unclench emg delete 3f9a1c2e
    """
    from unclench.emg import service

    with cli_session() as db:
        rec = service.find_recording(db, recording_id)
        label = f"{rec.original_name or rec.id} ({local_time(rec.recorded_at, '%Y-%m-%d %H:%M')})"
        if not yes and not typer.confirm(f"Delete the recording {label}?"):
            console.print("Nothing was deleted.")
            raise typer.Exit(1)
        service.delete_recording(db, recording_id=rec.id)
        console.print(f"Deleted the recording {label}.")


def register(app: typer.Typer) -> None:
    app.add_typer(emg_app, name="emg")
