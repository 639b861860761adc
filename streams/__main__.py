from streams.cli import main

# Guarded: a child process started with multiprocessing's "spawn" (the worker's store consumer)
# imports this module again as __mp_main__, and must not run the command line a second time.
if __name__ == "__main__":
    main()
