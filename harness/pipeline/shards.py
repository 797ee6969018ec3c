"""Data-parallel runs: which filings this process takes, and waiting for the other processes.

With torchrun (or accelerate) every process takes every N-th filing, checkpoints it, and rank 0 merges the
checkpoints into the unit files; without a launcher, ``--shard RANK/WORLD`` runs one shard and a later run
without it merges.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    """This process's share of the samples in a data-parallel run (``rank`` of ``world``)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    synchronized: bool = False  # started by a launcher (torchrun/accelerate): ranks can wait for each other

    @classmethod
    def from_env(cls) -> Shard:
        """From torchrun/accelerate variables (RANK, WORLD_SIZE, LOCAL_RANK); one process otherwise."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        return cls(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")), world > 1)

    @property
    def merges(self) -> bool:
        """Whether this process writes the unit files (after every shard's checkpoints exist)."""
        return self.world == 1 or (self.synchronized and self.rank == 0)

    def take(self, items: list) -> list:
        """Every ``world``-th item starting at ``rank`` (a fixed, order-preserving partition)."""
        return items[self.rank :: self.world]

    def barrier(self) -> None:
        """Wait for every process (torch.distributed when the launcher started a process group)."""
        if self.world <= 1 or not self.synchronized:
            return
        import torch.distributed as dist

        if not dist.is_initialized():
            import torch

            backend = "nccl" if torch.cuda.is_available() else "gloo"
            if backend == "nccl":
                torch.cuda.set_device(self.local_rank)
            dist.init_process_group(backend)
        dist.barrier()
