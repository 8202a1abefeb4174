#!/usr/bin/env python3
"""Check mini's --gil-trace output (Chrome trace-event JSON) and its
agreement with --gil-stats.  Registered in tests/scripts.cmake as
gil/trace_json.

    validate_trace.py --mini BUILD/mini tests/scripts/gil/trace_workload.mini

Runs the workload three times -- GIL on with a 1 ms switch interval, GIL
on with --switch-instructions=50, and --gil=off -- each with --gil-trace
to a temporary file and --gil-stats, and checks:

  * the file is strict JSON: {"traceEvents": [...], "displayTimeUnit",
    "otherData": {"gil", "switch_interval_ms", "switch_instructions",
    "switches"}} with the flags' values;
  * metadata names the process and every thread (MainThread and the
    workload's named threads);
  * every event is a complete event ("ph": "X") of a known kind (hold,
    wait, blocking call, peer wait) with numeric ts/dur >= 0, the pid of
    the run and a named tid; holds say how they began and ended;
  * holds of different threads never overlap (one holder at a time), the
    events of one thread never overlap each other, and exactly one hold
    is still open at exit;
  * the --gil-stats table agrees: switches, per-thread acquisitions ==
    holds, waits == wait events, forced hand-overs by cause == holds that
    ended with that cause; instruction hand-overs happen only with
    --switch-instructions.

Exit status 0 if everything holds, 1 with a list of problems otherwise.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

KINDS = {'hold', 'wait', 'blocking call', 'peer wait'}
HOW = {'free', 'woken', 'handoff', 'priority', 'resume'}
RELEASED = {'instructions', 'interval', 'priority', 'blocking', 'exit', 'still held'}
WORKERS = {'cpu-a', 'cpu-b', 'sleeper', 'locker-1', 'locker-2'}
EPS = 0.002         # us: ts and dur are printed with 3 decimals
ROW = re.compile(r'^(.{24}) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) '
                 r'+([\d.]+) +([\d.]+) +([\d.]+)$')


def run_case(mini, script, flags, problems, label):
    def bad(msg):
        problems.append('%s: %s' % (label, msg))

    fd, path = tempfile.mkstemp(prefix='mini_gil_trace_', suffix='.json')
    os.close(fd)
    try:
        p = subprocess.run([mini, '--gil-stats', '--gil-trace=' + path] + flags + [script],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                           cwd=os.path.dirname(os.path.abspath(script)))
        out = p.stdout.decode('utf-8', 'replace')
        err = p.stderr.decode('utf-8', 'replace')
        if p.returncode != 0 or out != 'ok\n':
            bad('exit %d, stdout %r, stderr %s' % (p.returncode, out, err[-500:]))
            return None
        with open(path, 'rb') as f:
            raw = f.read()
    finally:
        os.unlink(path)
    try:
        doc = json.loads(raw.decode('utf-8'), parse_constant=lambda c: bad('constant ' + c))
    except (ValueError, UnicodeDecodeError) as e:
        bad('not valid JSON: %s' % e)
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get('traceEvents'), list):
        bad('no traceEvents list')
        return None
    if doc.get('displayTimeUnit') not in ('ms', 'ns'):
        bad('displayTimeUnit %r' % doc.get('displayTimeUnit'))
    other = doc.get('otherData')
    if not isinstance(other, dict):
        bad('no otherData object')
        other = {}
    return doc, other, err


def check(mini, script, flags, gil_on, problems, label):
    def bad(msg):
        problems.append('%s: %s' % (label, msg))

    r = run_case(mini, script, flags, problems, label)
    if r is None:
        return
    doc, other, err = r
    if other.get('gil') != ('on' if gil_on else 'off'):
        bad('otherData.gil = %r' % other.get('gil'))
    for key in ('switch_interval_ms', 'switch_instructions', 'switches'):
        if not isinstance(other.get(key), (int, float)) or isinstance(other.get(key), bool):
            bad('otherData.%s = %r' % (key, other.get(key)))

    names, pid, xs = {}, None, []
    for e in doc['traceEvents']:
        if not isinstance(e, dict):
            bad('event is not an object: %r' % (e,))
            continue
        ph = e.get('ph')
        if pid is None:
            pid = e.get('pid')
        if e.get('pid') != pid or not isinstance(pid, int):
            bad('pid %r' % e.get('pid'))
        if ph == 'M':
            if e.get('name') == 'thread_name':
                names[e.get('tid')] = e.get('args', {}).get('name')
            elif e.get('name') not in ('process_name', 'thread_sort_index'):
                bad('unknown metadata %r' % e.get('name'))
        elif ph == 'X':
            xs.append(e)
        elif ph != 'i':             # 'i': "trace truncated" marker
            bad('unknown phase %r' % ph)
    want = {'MainThread'} | WORKERS
    if set(names.values()) != want:
        bad('thread names %r, want %r' % (sorted(map(str, names.values())), sorted(want)))
    per_thread = {}
    holds = []
    for e in xs:
        kind, ts, dur, tid = e.get('name'), e.get('ts'), e.get('dur'), e.get('tid')
        if kind not in KINDS or e.get('cat') != 'gil':
            bad('event kind %r cat %r' % (kind, e.get('cat')))
            continue
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                   for v in (ts, dur)):
            bad('ts/dur %r/%r' % (ts, dur))
            continue
        if tid not in names:
            bad('event of unnamed tid %r' % tid)
        per_thread.setdefault(tid, []).append(e)
        if kind == 'hold':
            a = e.get('args', {})
            if a.get('acquired') not in HOW or a.get('released') not in RELEASED:
                bad('hold args %r' % a)
            holds.append(e)
    if gil_on:
        if not holds:
            bad('no holds recorded')
        open_holds = [h for h in holds if h['args']['released'] == 'still held']
        if len(open_holds) != 1 or names.get(open_holds[0]['tid']) != 'MainThread':
            bad('%d holds still open at exit (want 1, MainThread)' % len(open_holds))
        hs = sorted(holds, key=lambda h: h['ts'])
        overlaps = sum(1 for a, b in zip(hs, hs[1:]) if a['ts'] + a['dur'] > b['ts'] + EPS)
        if overlaps:
            bad('%d holds overlap another thread\'s' % overlaps)
        for tid, evs in per_thread.items():
            evs.sort(key=lambda e: e['ts'])
            n = sum(1 for a, b in zip(evs, evs[1:]) if a['ts'] + a['dur'] > b['ts'] + EPS)
            if n:
                bad('%d events of %s overlap each other' % (n, names.get(tid)))
        kinds = {e['name'] for e in xs}
        for k in ('hold', 'wait', 'blocking call'):
            if k not in kinds:
                bad('no %r events' % k)
    cross_check(err, other, names, per_thread, holds, gil_on, flags, bad)


def cross_check(err, other, names, per_thread, holds, gil_on, flags, bad):
    if not gil_on:
        if not re.search(r'^GIL statistics: the GIL is disabled', err, re.M):
            bad('stats table missing')
        return
    m = re.search(r'^GIL statistics: (\d+) threads?, (\d+) switch(?:es)? in', err, re.M)
    if not m:
        bad('no stats header in stderr: %s' % err[-300:])
        return
    if int(m.group(1)) != len(names) or int(m.group(2)) != other.get('switches'):
        bad('stats header %r vs trace: %d threads, %r switches'
            % (m.group(0), len(names), other.get('switches')))
    rows = {}
    for line in err.splitlines():
        r = ROW.match(line)
        if r:
            rows[r.group(1).strip().replace(' [done]', '')] = [int(r.group(i)) for i in range(2, 10)]
    by_name = {v: k for k, v in names.items()}
    cause_col = {'instructions': 2, 'interval': 3, 'priority': 4}
    for name, tid in by_name.items():
        row = rows.get(name)
        if row is None:
            bad('no stats row for %s' % name)
            continue
        evs = per_thread.get(tid, [])
        nh = sum(1 for e in evs if e['name'] == 'hold')
        nw = sum(1 for e in evs if e['name'] == 'wait')
        if row[0] != nh or row[1] != nw:
            bad('%s: stats acquired/waited %d/%d, trace holds/waits %d/%d'
                % (name, row[0], row[1], nh, nw))
        for cause, col in cause_col.items():
            n = sum(1 for e in evs if e['name'] == 'hold' and e['args']['released'] == cause)
            if row[col] != n:
                bad('%s: %d %s hand-overs in stats, %d in trace' % (name, row[col], cause, n))
    total = rows.get('total')
    instr_flag = any(f.startswith('--switch-instructions=') and not f.endswith('=0')
                     for f in flags)
    if total is None:
        bad('no total row')
    elif (total[2] > 0) != instr_flag:
        bad('%d instruction hand-overs with flags %r' % (total[2], flags))
    if total is not None and not instr_flag and total[3] == 0:
        bad('no interval hand-overs with a 1 ms interval')
    h = re.search(r'^hand-overs: (\d+) \(instructions (\d+), interval (\d+), priority (\d+), '
                  r'blocking (\d+), exit (\d+)\)$', err, re.M)
    if not h:
        bad('no hand-overs line')
    else:
        nums = [int(x) for x in h.groups()]
        if nums[0] != sum(nums[1:]) or nums[0] != other.get('switches'):
            bad('hand-overs line %r does not add up to %r switches'
                % (h.group(0), other.get('switches')))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--mini', required=True)
    ap.add_argument('script')
    a = ap.parse_args()
    a.mini = os.path.abspath(a.mini)
    a.script = os.path.abspath(a.script)
    problems = []
    check(a.mini, a.script, ['--switch-interval=1'], True, problems, 'interval 1 ms')
    check(a.mini, a.script, ['--switch-interval=1', '--switch-instructions=50'], True,
          problems, 'instructions 50')
    check(a.mini, a.script, ['--gil=off'], False, problems, 'gil off')
    for p in problems:
        print('FAIL', p)
    if not problems:
        print('ok: trace JSON and --gil-stats agree')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
