/*
 * gil_stats.c -- formatting of the GIL's statistics (--gil-stats) and of
 * its timeline (--gil-trace, Chrome trace-event JSON).
 *
 * vm/gil.c collects everything under its mutex and hands us plain rows
 * (GilReportRow); this file only prints them, so it knows nothing of the
 * GIL's state machine.
 *
 * Trace format (https://docs.google.com/document/d/1CvAClvFfyA5R-PhYUmn5OOQtYMH4h6I0nSsKchNAySU):
 *
 *   {"traceEvents":[
 *     {"name":"process_name","ph":"M","pid":P,"tid":0,"args":{"name":"mini"}},
 *     {"name":"thread_name","ph":"M","pid":P,"tid":T,"args":{"name":"MainThread"}},
 *     {"name":"hold","cat":"gil","ph":"X","ts":US,"dur":US,"pid":P,"tid":T,
 *      "args":{"acquired":"priority","released":"interval"}},
 *     {"name":"wait","cat":"gil","ph":"X",...},
 *     {"name":"blocking call","cat":"gil","ph":"X",...},
 *     {"name":"peer wait","cat":"gil","ph":"X",...}, ...],
 *    "displayTimeUnit":"ms","otherData":{...}}
 *
 * "hold": the thread held the GIL ("acquired": how the hold began,
 * "released": why it ended); "wait": it waited for the GIL; "blocking
 * call" / "peer wait": it had released the GIL for a blocking call (I/O,
 * sleep) / for a wait on another mini thread (lock, queue, join).
 *
 * Timestamps are microseconds since gil_init(); tids are mini's small
 * sequential thread numbers (1 = the first thread registered), which stay
 * unique even when the OS reuses native thread ids.
 */
#include <stdio.h>
#include <string.h>

#include "gil.h"

/* Rows beyond this are summed into one "(N more threads)" line. */
#define MAX_TABLE_ROWS 64

static const char *how_name(int how)
{
    switch (how) {
    case GIL_HOW_FREE: return "free";
    case GIL_HOW_WOKEN: return "woken";
    case GIL_HOW_HANDOFF: return "handoff";
    case GIL_HOW_PRIORITY: return "priority";
    case GIL_HOW_RESUME: return "resume";
    default: return "?";
    }
}

static const char *cause_name(int cause)
{
    switch (cause) {
    case GIL_CAUSE_INSTR: return "instructions";
    case GIL_CAUSE_INTERVAL: return "interval";
    case GIL_CAUSE_PRIORITY: return "priority";
    case GIL_CAUSE_BLOCKING: return "blocking";
    case GIL_CAUSE_EXIT: return "exit";
    case GIL_NCAUSES: return "still held";
    default: return "?";
    }
}

static double ms(uint64_t ns)
{
    return (double)ns / 1e6;
}

static void add_into(GilThreadStats *sum, const GilThreadStats *s)
{
    sum->acquisitions += s->acquisitions;
    sum->waits += s->waits;
    sum->priority_grants += s->priority_grants;
    for (int i = 0; i < GIL_NCAUSES; i++)
        sum->handovers[i] += s->handovers[i];
    sum->hold_ns += s->hold_ns;
    sum->wait_ns += s->wait_ns;
    if (s->longest_wait_ns > sum->longest_wait_ns)
        sum->longest_wait_ns = s->longest_wait_ns;
}

static void print_row(FILE *f, const char *name, const GilThreadStats *s)
{
    fprintf(f, "%-24.24s %9llu %8llu %7llu %8llu %8llu %8llu %5llu %8llu %11.3f %10.3f %9.3f\n",
            name,
            (unsigned long long)s->acquisitions,
            (unsigned long long)s->waits,
            (unsigned long long)s->handovers[GIL_CAUSE_INSTR],
            (unsigned long long)s->handovers[GIL_CAUSE_INTERVAL],
            (unsigned long long)s->handovers[GIL_CAUSE_PRIORITY],
            (unsigned long long)s->handovers[GIL_CAUSE_BLOCKING],
            (unsigned long long)s->handovers[GIL_CAUSE_EXIT],
            (unsigned long long)s->priority_grants,
            ms(s->hold_ns), ms(s->wait_ns), ms(s->longest_wait_ns));
}

void gil_stats_format(FILE *f, const GilReportRow *rows, size_t n,
                      const GilReportInfo *info)
{
    if (!info->enabled) {
        fprintf(f, "GIL statistics: the GIL is disabled (--gil=off); "
                   "%zu thread%s ran in free-threaded mode\n", n, n == 1 ? "" : "s");
        return;
    }
    char instr[32];
    if (info->switch_instructions > 0)
        snprintf(instr, sizeof instr, "%ld", info->switch_instructions);
    else
        snprintf(instr, sizeof instr, "off");
    fprintf(f, "GIL statistics: %zu thread%s, %llu switch%s in %.3f s "
               "(switch interval %.3f ms, switch instructions %s)\n",
            n, n == 1 ? "" : "s", (unsigned long long)info->switches,
            info->switches == 1 ? "" : "es", (double)info->elapsed_ns / 1e9,
            info->switch_interval * 1e3, instr);
    fprintf(f, "%-24s %9s %8s %-40s %8s %11s %10s %9s\n", "", "", "",
            "  ------ GIL given away, by cause ------", "", "", "", "longest");
    fprintf(f, "%-24s %9s %8s %7s %8s %8s %8s %5s %8s %11s %10s %9s\n",
            "thread", "acquired", "waited", "instr", "interval", "priority",
            "blocking", "exit", "prio-got", "held ms", "waited ms", "wait ms");

    GilThreadStats total, rest;
    memset(&total, 0, sizeof total);
    memset(&rest, 0, sizeof rest);
    size_t shown = n > MAX_TABLE_ROWS ? MAX_TABLE_ROWS - 1 : n;
    for (size_t i = 0; i < n; i++) {
        add_into(&total, &rows[i].st);
        if (i >= shown) {
            add_into(&rest, &rows[i].st);
            continue;
        }
        char name[40];
        snprintf(name, sizeof name, "%s%s", rows[i].name,
                 rows[i].alive ? "" : " [done]");
        print_row(f, name, &rows[i].st);
    }
    if (shown < n) {
        char name[40];
        snprintf(name, sizeof name, "(%zu more threads)", n - shown);
        print_row(f, name, &rest);
    }
    print_row(f, "total", &total);
    uint64_t handed = 0;
    for (int c = 1; c < GIL_NCAUSES; c++)
        handed += total.handovers[c];
    fprintf(f, "hand-overs: %llu (instructions %llu, interval %llu, priority %llu, "
               "blocking %llu, exit %llu)\n",
            (unsigned long long)handed,
            (unsigned long long)total.handovers[GIL_CAUSE_INSTR],
            (unsigned long long)total.handovers[GIL_CAUSE_INTERVAL],
            (unsigned long long)total.handovers[GIL_CAUSE_PRIORITY],
            (unsigned long long)total.handovers[GIL_CAUSE_BLOCKING],
            (unsigned long long)total.handovers[GIL_CAUSE_EXIT]);
}

/* ---- trace -------------------------------------------------------- */

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);       /* UTF-8 passes through */
    }
    fputc('"', f);
}

static void trace_one(FILE *f, const GilTraceEvent *e, long pid, int tid)
{
    const char *name = e->kind == GIL_EV_HOLD ? "hold"
                     : e->kind == GIL_EV_WAIT ? "wait"
                     : e->kind == GIL_EV_PEER_WAIT ? "peer wait" : "blocking call";
    fprintf(f, ",\n{\"name\":\"%s\",\"cat\":\"gil\",\"ph\":\"X\",\"ts\":%.3f,"
               "\"dur\":%.3f,\"pid\":%ld,\"tid\":%d",
            name, (double)e->start_ns / 1e3, (double)e->dur_ns / 1e3, pid, tid);
    if (e->kind == GIL_EV_HOLD)
        fprintf(f, ",\"args\":{\"acquired\":\"%s\",\"released\":\"%s\"}",
                how_name(e->how), cause_name(e->cause));
    fputc('}', f);
}

int gil_trace_format(FILE *f, const GilReportRow *rows, size_t n,
                     const GilReportInfo *info, long pid)
{
    fprintf(f, "{\"traceEvents\":[\n");
    fprintf(f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":0,"
               "\"args\":{\"name\":\"mini\"}}", pid);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%ld,\"tid\":%d,"
                   "\"args\":{\"name\":", pid, rows[i].tid);
        json_string(f, rows[i].name);
        fprintf(f, "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\",\"pid\":%ld,"
                   "\"tid\":%d,\"args\":{\"sort_index\":%d}}", pid, rows[i].tid, rows[i].tid);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < rows[i].nevents; k++)
            trace_one(f, &rows[i].events[k], pid, rows[i].tid);
        if (rows[i].has_open_hold)
            trace_one(f, &rows[i].open_hold, pid, rows[i].tid);
    }
    if (info->truncated)
        fprintf(f, ",\n{\"name\":\"trace truncated (event cap reached)\",\"ph\":\"i\","
                   "\"s\":\"g\",\"ts\":%.3f,\"pid\":%ld,\"tid\":0}",
                (double)info->elapsed_ns / 1e3, pid);
    fprintf(f, "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"gil\":\"%s\","
               "\"switch_interval_ms\":%.3f,\"switch_instructions\":%ld,"
               "\"switches\":%llu}}\n",
            info->enabled ? "on" : "off", info->switch_interval * 1e3,
            info->switch_instructions, (unsigned long long)info->switches);
    return ferror(f) ? -1 : 0;
}
