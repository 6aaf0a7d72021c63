#!/usr/bin/env python3
"""The robustness suite of issue 13: every finding of the audit plus the cases it found holding,
each one pass/fail line. Run through scripts/robustness.sh, which builds the server.

  suite.py --bin PATH [--short | --full] [--only NAME ...] [--soak-minutes N]

--short (CI) runs every check at a size that finishes in under three minutes; --full adds the
soak (10 minutes at 256 connections of mixed good and bad requests, RSS sampled).
"""
import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks_assets  # noqa: E402
import checks_http  # noqa: E402
import checks_images  # noqa: E402
import checks_soak  # noqa: E402


class Context:
    def __init__(self, binary, mode, soak_minutes):
        self.binary = binary
        self.mode = mode
        self.soak_minutes = soak_minutes


def all_checks():
    """(name, function, modes) in the order they run."""
    checks = [
        ("F1 silent sockets do not lock clients out", checks_http.silent_sockets_do_not_lock_clients_out),
        ("F1 trickled head gets 408 at the header deadline", checks_http.trickled_head_gets_408_at_the_header_deadline),
        ("F1 idle keep-alive connections make room at the cap", checks_http.idle_keepalive_connections_make_room_at_the_cap),
        ("F2 body memory is bounded (1000 partial 16 MiB bodies)", checks_http.body_memory_is_bounded),
        ("F2 heavy decodes neither exhaust memory nor starve light requests",
         checks_images.heavy_decodes_do_not_starve_light_requests),
        ("F3 blank line before a request, split across segments", checks_http.blank_line_split_across_segments),
        ("F4 the drain refuses new connections at once", checks_http.drain_refuses_new_connections),
        ("F5 Host rules", checks_http.host_rules),
        ("F5 chunked body cut inside a chunk-size line is answered", checks_http.truncated_chunked_body_is_answered),
        ("F6 a dripping download times out", checks_assets.dripping_download_times_out),
        ("F6 a stalled download is reported in words", checks_assets.stalled_download_is_reported_in_words),
        ("F6 an oversized download is refused", checks_assets.oversized_download_is_refused),
        ("F6 SIGTERM during a download leaves no .part file", checks_assets.sigterm_during_a_download_leaves_no_part_file),
        ("F7 the access log cannot be forged", checks_http.access_log_cannot_be_forged),
        ("F8 GIF, TIFF and a 16-bit gray scan are read", checks_images.gif_tiff_and_16_bit_gray_are_served),
        ("audit malformed uploads and bombs", checks_images.malformed_uploads_are_refused),
        ("audit header, URL and body limits", checks_http.limits_are_enforced),
        ("audit pipelining", checks_http.pipelined_requests_are_answered_in_order),
        ("audit slowloris", checks_http.slowloris_does_not_slow_others),
        ("audit SIGTERM under load", checks_http.sigterm_under_load_loses_nothing),
    ]
    both = [(name, function, ("short", "full")) for name, function in checks]
    return both + [
        ("soak (short): 30 s at 128 connections, mixed good and bad requests", checks_soak.short_soak, ("short",)),
        ("soak: 10 minutes at 256 connections, mixed good and bad requests", checks_soak.full_soak, ("full",)),
        ("medium soak: 3 minutes at 256 connections", checks_soak.medium_soak, ("medium",)),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the max-server binary")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--short", action="store_const", const="short", dest="mode")
    group.add_argument("--full", action="store_const", const="full", dest="mode")
    group.add_argument("--medium", action="store_const", const="medium", dest="mode", help="the 3-minute soak alone")
    parser.add_argument("--only", nargs="*", default=[], help="run the checks whose names contain one of these words")
    parser.add_argument("--soak-minutes", type=float, default=10)
    arguments = parser.parse_args()
    context = Context(os.path.abspath(arguments.bin), arguments.mode or "short", arguments.soak_minutes)

    failures = 0
    ran = 0
    started = time.time()
    for name, function, modes in all_checks():
        if context.mode not in modes:
            continue
        if arguments.only and not any(word.lower() in name.lower() for word in arguments.only):
            continue
        ran += 1
        check_started = time.time()
        try:
            passed, detail = function(context)
        except Exception as error:  # a check that breaks is a failure, with its reason
            passed, detail = False, f"the check raised {type(error).__name__}: {error}"
            traceback.print_exc(file=sys.stderr)
        failures += 0 if passed else 1
        print(f"{'PASS' if passed else 'FAIL'}  {name} ({time.time() - check_started:.1f} s): {detail}", flush=True)
    print(f"robustness: {ran - failures} of {ran} checks passed in {time.time() - started:.0f} s ({context.mode})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
