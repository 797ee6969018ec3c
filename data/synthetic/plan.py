"""What the corpus decides for each filing before it is written: phrasing styles, depths, a missing fact.

Each choice comes from a deck (shuffled copies of its options, dealt in turn), so every style appears once
per cycle and a corpus of any size covers them all.
"""

from __future__ import annotations

from dataclasses import dataclass

# Phrasing styles of the four facts; every style appears once per cycle of its deck.
INC_STYLES = ("incorporated_in_state_of", "organized_under_laws", "corporation_formed_in",
              "incorporated_under_laws_on_date", "established_as_corporation", "founded_as_corporation",
              "former_name", "is_corporation_incorporated_month", "year_then_laws",
              "formed_as_corporation_on", "holding_company", "split_sentences")
HQ_STYLES = ("address_full", "headquartered_in", "hq_postal", "address_postal", "is_headquartered",
             "principal_offices_lease", "corporate_office", "hq_and_executive_offices")
EMP_STYLES = ("full_time_only", "total_then_split", "million", "total_with_subset", "no_comma", "prior_year",
              "headcount_fiscal", "across_countries", "none_unionized", "workforce_noun")
# What happens in a row whose fact is absent or not derivable (its CSV cell is empty).
ABSENT_KINDS = ("inc_state", "inc_year", "employees", "hq_state", "reincorporated")
DEPTHS = ("early", "middle", "late")
# Where the company is incorporated, by category: Delaware in half the filings.
INC_STATE_DECK = ("delaware",) * 6 + ("nevada", "home", "home", "home", "commonwealth", "other")


@dataclass(frozen=True)
class FilingPlan:
    """The dealt choices of one filing ("none" for ``absent`` when every fact is stated)."""

    inc: str  # one of INC_STYLES
    hq: str  # one of HQ_STYLES
    emp: str  # one of EMP_STYLES
    inc_state_cat: str  # one of INC_STATE_DECK
    inc_depth: str  # one of DEPTHS, for each of the three fact groups
    hq_depth: str
    emp_depth: str
    absent: str  # one of ABSENT_KINDS or "none"

    def depth(self, group: str) -> str:
        """The depth of fact group ``group`` ("inc", "hq" or "emp")."""
        return {"inc": self.inc_depth, "hq": self.hq_depth, "emp": self.emp_depth}[group]
