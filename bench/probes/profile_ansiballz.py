"""Run a kept AnsiballZ file under cProfile: python profile_ansiballz.py ANSIBALLZ_FILE STATS_OUT"""
import cProfile
import runpy
import sys


def main():
    path, out = sys.argv[1], sys.argv[2]
    sys.argv = [path]
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit:
        pass
    finally:
        profiler.disable()
        profiler.dump_stats(out)


if __name__ == "__main__":
    main()
