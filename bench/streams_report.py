#!/usr/bin/env python3
"""Checks and prints bench/streams.sh's results (one JSON line per client run, tagged with its kind
and round): `run FILE I N` checks round I and prints its lines, exiting 1 on any loss;
`summary FILE N` prints the medians over the rounds.

Kinds: kg-fixed / ref-fixed (fixed event rate, 1,000 subscribers), kg-none (keygate, the same
orders, no subscriber), kg-max / ref-max (saturation), kg-none-max (keygate, the saturation run's
orders at the rate they went through, no subscriber), latency.
"""

import json
import statistics
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            d = json.loads(line)
            rows[(d["kind"], d["run"])] = d
    return rows


def check(kind, d):
    """Every subscriber got every event once, in order; no connection closed; every order 200."""
    problems = []
    if d["subscribers"] > 0:
        for key in ("short", "closed", "broken", "gaps", "spans", "early", "framesAfterWant"):
            if d[key]:
                problems.append(f"{key}={d[key]}")
        if d["framesDelivered"] != d["want"]:
            problems.append(f"{d['framesDelivered']} frames delivered of {d['want']}")
        if d["distinctFirstIds"] != 1:
            problems.append(f"subscribers started at {d['distinctFirstIds']} different trade ids")
    drv = d.get("driver")
    if drv and (drv["bad"] or drv["ok"] != 2 * drv["pairs"]):
        problems.append(f"orders: {drv['ok']} answered 200 of {2 * drv['pairs']}, first other: {drv['firstBad']}")
    if problems:
        print(f"{kind} run {d['run']}: " + "; ".join(problems), file=sys.stderr)
    return not problems


def fanout_cost(kg, none):
    """keygate's CPU for the fan-out alone: its CPU with subscribers less its CPU for the same
    orders without any, in microseconds per frame delivered."""
    total = kg["serverCpu"] * kg["seconds"]
    orders = none["serverCpu"] * none["seconds"]
    return (total - orders) / kg["framesDelivered"] * 1e6


def core1(d):
    """How busy the servers' core was over the run, whoever used it (others' work included)."""
    busy = d.get("coreBusy") or []
    return f", core 1 busy {busy[1]:.0%}" if len(busy) > 1 else ""


def n0(x):
    return f"{x:,.0f}"


def ms(x):
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def round_line(rows, i, n):
    kf, rf, kn = rows[("kg-fixed", i)], rows[("ref-fixed", i)], rows[("kg-none", i)]
    km, rm, lat = rows[("kg-max", i)], rows[("ref-max", i)], rows[("latency", i)]
    knm = rows[("kg-none-max", i)]
    cost = fanout_cost(kf, kn)
    cost_max = fanout_cost(km, knm)
    out = [
        f"round {i}/{n}:",
        f"  fixed {kf['rate']}/s: keygate {n0(kf['framesPerSecond'])} frames/s, CPU {kf['serverCpu']:.0%} "
        f"({kf['serverCpuUsPerFrame']:.2f} us/frame; without subscribers {kn['serverCpu']:.0%}, so the fan-out "
        f"{cost:.2f} us/frame{core1(kf)}), lag p50 {kf['lagP50']} ms p99 {kf['lagP99']} ms, orders p50 "
        f"{ms(kf['driver']['orderP50'])} ms (none listening: {ms(kn['driver']['orderP50'])} ms)",
        f"              reference {n0(rf['framesPerSecond'])} frames/s, CPU {rf['serverCpu']:.0%} "
        f"({rf['serverCpuUsPerFrame']:.2f} us/frame{core1(rf)}), lag p50 {rf['lagP50']} ms p99 {rf['lagP99']} ms;"
        f"  fan-out cost ratio {cost / rf['serverCpuUsPerFrame']:.2f}",
        f"  saturation: keygate {n0(km['framesPerSecond'])} frames/s ({km['framesPerSecond'] / km['subscribers']:.0f} "
        f"events/s to each), CPU {km['serverCpu']:.0%}{core1(km)}, lag p50 {km['lagP50']} ms p99 {km['lagP99']} ms, "
        f"orders p50 {ms(km['driver']['orderP50'])} ms; reference {n0(rm['framesPerSecond'])} frames/s, "
        f"CPU {rm['serverCpu']:.0%}{core1(rm)}, lag p99 {rm['lagP99']} ms;  ratio {km['framesPerSecond'] / rm['framesPerSecond']:.2f}"
        f"  (client CPU {km['clientCpu']:.0%} / {rm['clientCpu']:.0%})",
        f"              CPU a frame: keygate {km['serverCpuUsPerFrame']:.2f} us, its fan-out alone {cost_max:.2f} us "
        f"(its orders alone at {knm['rate']}/s: CPU {knm['serverCpu']:.0%}); reference {rm['serverCpuUsPerFrame']:.2f} us; "
        f"fan-out cost ratio {cost_max / rm['serverCpuUsPerFrame']:.2f}",
        f"  latency ({lat['orders']} orders): HTTP answer p50 {ms(lat['http']['p50'])} ms p99 {ms(lat['http']['p99'])} ms; "
        f"executionReport FILLED p50 {ms(lat['filled']['p50'])} ms p99 {ms(lat['filled']['p99'])} ms "
        f"(first report p50 {ms(lat['first']['p50'])} ms); report - answer p50 {lat['diff']['p50']:+.3f} ms "
        f"p99 {lat['diff']['p99']:+.3f} ms; report first in {lat['reportFirst']} of {lat['orders']}",
        f"  every subscriber got every event once, in order, in all four fan-out runs "
        f"({n0(kf['want'] + rf['want'] + km['want'] + rm['want'])} frames); every order answered 200",
    ]
    print("\n".join(out))


def summary(rows, n):
    med = statistics.median
    runs = range(1, n + 1)
    g = lambda kind, f: med(f(rows[(kind, i)]) for i in runs)
    costs = [fanout_cost(rows[("kg-fixed", i)], rows[("kg-none", i)]) for i in runs]
    cost_ratios = [c / rows[("ref-fixed", i)]["serverCpuUsPerFrame"] for c, i in zip(costs, runs)]
    sat_ratios = [rows[("kg-max", i)]["framesPerSecond"] / rows[("ref-max", i)]["framesPerSecond"] for i in runs]
    costs_max = [fanout_cost(rows[("kg-max", i)], rows[("kg-none-max", i)]) for i in runs]
    cost_ratios_max = [c / rows[("ref-max", i)]["serverCpuUsPerFrame"] for c, i in zip(costs_max, runs)]
    kf = rows[("kg-fixed", 1)]
    km = rows[("kg-max", 1)]
    print(f"median of {n}:")
    print(f"  fixed {kf['rate']}/s to {kf['subscribers']}: keygate CPU {g('kg-fixed', lambda d: d['serverCpu']):.0%}, "
          f"{g('kg-fixed', lambda d: d['serverCpuUsPerFrame']):.2f} us/frame, fan-out alone {med(costs):.2f} us/frame "
          f"(orders alone: CPU {g('kg-none', lambda d: d['serverCpu']):.0%}); reference CPU "
          f"{g('ref-fixed', lambda d: d['serverCpu']):.0%}, {g('ref-fixed', lambda d: d['serverCpuUsPerFrame']):.2f} us/frame; "
          f"fan-out cost ratio {med(cost_ratios):.2f}")
    print(f"      lag p50/p99: keygate {g('kg-fixed', lambda d: d['lagP50'])}/{g('kg-fixed', lambda d: d['lagP99'])} ms, "
          f"reference {g('ref-fixed', lambda d: d['lagP50'])}/{g('ref-fixed', lambda d: d['lagP99'])} ms; keygate's orders "
          f"p50 {ms(g('kg-fixed', lambda d: d['driver']['orderP50']))} ms with subscribers, "
          f"{ms(g('kg-none', lambda d: d['driver']['orderP50']))} ms without")
    print(f"  saturation ({km['events']} events at {km['rate']}/s asked): keygate "
          f"{n0(g('kg-max', lambda d: d['framesPerSecond']))} frames/s "
          f"({g('kg-max', lambda d: d['framesPerSecond']) / km['subscribers']:.0f} events/s to each subscriber), CPU "
          f"{g('kg-max', lambda d: d['serverCpu']):.0%}, lag p99 {g('kg-max', lambda d: d['lagP99'])} ms; reference "
          f"{n0(g('ref-max', lambda d: d['framesPerSecond']))} frames/s, CPU {g('ref-max', lambda d: d['serverCpu']):.0%}, "
          f"lag p99 {g('ref-max', lambda d: d['lagP99'])} ms; ratio {med(sat_ratios):.2f}")
    print(f"      CPU a frame: keygate {g('kg-max', lambda d: d['serverCpuUsPerFrame']):.2f} us, its fan-out alone "
          f"{med(costs_max):.2f} us; reference {g('ref-max', lambda d: d['serverCpuUsPerFrame']):.2f} us; fan-out cost "
          f"ratio {med(cost_ratios_max):.2f}; keygate's orders p50 {ms(g('kg-max', lambda d: d['driver']['orderP50']))} ms "
          f"with subscribers, {ms(g('kg-none-max', lambda d: d['driver']['orderP50']))} ms without")
    print(f"  latency: HTTP answer p50 {ms(g('latency', lambda d: d['http']['p50']))} ms, p99 "
          f"{ms(g('latency', lambda d: d['http']['p99']))} ms; executionReport (FILLED) p50 "
          f"{ms(g('latency', lambda d: d['filled']['p50']))} ms, p99 {ms(g('latency', lambda d: d['filled']['p99']))} ms; "
          f"report - answer p50 {g('latency', lambda d: d['diff']['p50']):+.3f} ms, p99 "
          f"{g('latency', lambda d: d['diff']['p99']):+.3f} ms")


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    rows = load(path)
    if cmd == "run":
        i, n = int(sys.argv[3]), int(sys.argv[4])
        ok = all(check(k, rows[(k, i)]) for k in ("kg-fixed", "ref-fixed", "kg-none", "kg-max", "kg-none-max", "ref-max"))
        if not ok:
            sys.exit(1)
        round_line(rows, i, n)
    elif cmd == "summary":
        summary(rows, int(sys.argv[3]))
    else:
        sys.exit("usage: streams_report.py run FILE I N | summary FILE N")


if __name__ == "__main__":
    main()
