"""Deterministic generator of a SYNTHETIC corpus of SEC-style 10-K Item 1 ("Business") texts.

Every company, person, address, product and number here is invented; the texts are generated from
templates written for this project and are not SEC filings. The corpus is the demo's default data:

- ``<out>/corpus.jsonl``: one filing per line in EDGAR-CORPUS form (``filename`` = ``{cik}_{year}.htm``,
  ``cik``, ``year``, ``section_1``); one paragraph or heading per line, no blank lines, like real
  EDGAR extracts;
- ``<out>/ground_truth.csv``: the user's ground-truth columns (full state names, 4-digit year, plain
  integer count; an empty cell where the text does not state the fact in an acceptable way);
- ``<out>/README.md``: says that the corpus is synthetic, with seed, generator version and counts.

The four facts are stated in the many ways real filings state them (state of incorporation with
"State of" / "Commonwealth of" / "a Delaware corporation formed in"; headquarters as a full address,
"headquartered in", or a postal code; employee counts with and without commas, "2.3 million",
"associates", "persons") at varied depths, surrounded by distractors: subsidiaries incorporated in
other states, facilities and subsidiary head offices in other states, founding years, prior-year
head-counts, layoffs, segment and union head-counts. Each generated filing is checked before it is
kept: every ground-truth value occurs in a sentence that states it, and nowhere else (a conservative
check, stricter than ``adapters.evidence.find_evidence_chars``); a filing that fails is drawn again.

Same ``(n_filings, seed)`` -> byte-identical files.
CLI: ``python -m harness synthetic --out DIR --n 60 --seed S``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
import statistics
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from adapters.answers import STATE_CODES
from adapters.questions import QUESTION_KEYS, QUESTIONS

GENERATOR_VERSION = "1.0.0"
DEFAULT_SEED = 20251127
DEFAULT_N_FILINGS = 60
DEFAULT_OUT = Path(__file__).resolve().parent / "generated" / "synthetic"
CHARS_PER_TOKEN = 4

GT_COLUMNS: tuple[str, ...] = ("filename", "cik", "year", "company") + tuple(
    QUESTIONS[k].column for k in QUESTION_KEYS
)
COMMONWEALTHS = frozenset({"Kentucky", "Massachusetts", "Pennsylvania", "Virginia"})
_MAX_ATTEMPTS = 40

# ---------------------------------------------------------------------------------------------------------
# Places. Real city names (facts, not prose), chosen so no city name contains another state's name.
# The 3-digit prefixes only make the invented ZIP codes look plausible.
# ---------------------------------------------------------------------------------------------------------
_CITIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "Alabama": ("352", ("Birmingham", "Huntsville", "Mobile")),
    "Alaska": ("995", ("Anchorage", "Fairbanks")),
    "Arizona": ("852", ("Phoenix", "Scottsdale", "Tempe", "Tucson", "Chandler")),
    "Arkansas": ("722", ("Little Rock", "Bentonville", "Fayetteville")),
    "California": ("950", ("San Jose", "Irvine", "San Diego", "Milpitas", "Santa Clara", "Sunnyvale",
                           "Pleasanton", "Los Angeles", "Carlsbad", "Fremont")),
    "Colorado": ("802", ("Denver", "Boulder", "Englewood", "Golden", "Broomfield")),
    "Connecticut": ("069", ("Stamford", "Hartford", "Norwalk", "Shelton")),
    "Delaware": ("198", ("Wilmington", "Newark", "Dover")),
    "Florida": ("331", ("Miami", "Tampa", "Jacksonville", "Orlando", "Boca Raton", "Sarasota")),
    "Georgia": ("303", ("Atlanta", "Alpharetta", "Savannah", "Norcross", "Duluth")),
    "Hawaii": ("968", ("Honolulu",)),
    "Idaho": ("837", ("Boise", "Meridian")),
    "Illinois": ("606", ("Chicago", "Naperville", "Deerfield", "Schaumburg", "Lake Forest")),
    "Indiana": ("462", ("Indianapolis", "Carmel", "Fort Wayne", "Evansville")),
    "Iowa": ("503", ("Des Moines", "Cedar Rapids", "Davenport")),
    "Kansas": ("672", ("Wichita", "Overland Park", "Lenexa")),
    "Kentucky": ("402", ("Louisville", "Lexington", "Bowling Green")),
    "Louisiana": ("701", ("New Orleans", "Baton Rouge", "Lafayette")),
    "Maine": ("041", ("Portland", "Bangor")),
    "Maryland": ("212", ("Baltimore", "Bethesda", "Rockville", "Hunt Valley")),
    "Massachusetts": ("021", ("Boston", "Cambridge", "Burlington", "Waltham", "Framingham", "Woburn")),
    "Michigan": ("482", ("Detroit", "Grand Rapids", "Ann Arbor", "Troy", "Auburn Hills")),
    "Minnesota": ("554", ("Minneapolis", "Saint Paul", "Eden Prairie", "Rochester", "Plymouth")),
    "Mississippi": ("392", ("Jackson", "Gulfport", "Tupelo")),
    "Missouri": ("631", ("St. Louis", "Springfield", "Chesterfield")),
    "Montana": ("591", ("Billings", "Missoula", "Bozeman")),
    "Nebraska": ("681", ("Omaha", "Lincoln")),
    "Nevada": ("891", ("Las Vegas", "Reno", "Henderson")),
    "New Hampshire": ("031", ("Manchester", "Nashua", "Portsmouth")),
    "New Jersey": ("070", ("Princeton", "Parsippany", "Edison", "Morristown")),
    "New Mexico": ("871", ("Albuquerque", "Santa Fe")),
    "New York": ("100", ("New York", "Rochester", "Buffalo", "Albany", "White Plains")),
    "North Carolina": ("282", ("Charlotte", "Raleigh", "Durham", "Greensboro", "Cary")),
    "North Dakota": ("581", ("Fargo", "Bismarck")),
    "Ohio": ("432", ("Columbus", "Cleveland", "Cincinnati", "Dayton", "Toledo")),
    "Oklahoma": ("741", ("Tulsa", "Norman")),
    "Oregon": ("972", ("Portland", "Beaverton", "Hillsboro", "Eugene")),
    "Pennsylvania": ("152", ("Pittsburgh", "Philadelphia", "Malvern", "Allentown", "King of Prussia")),
    "Rhode Island": ("029", ("Providence", "Warwick")),
    "South Carolina": ("294", ("Charleston", "Greenville", "Spartanburg")),
    "South Dakota": ("571", ("Sioux Falls", "Rapid City")),
    "Tennessee": ("372", ("Nashville", "Memphis", "Knoxville", "Franklin")),
    "Texas": ("787", ("Austin", "Houston", "Dallas", "San Antonio", "Plano", "Irving", "The Woodlands")),
    "Utah": ("841", ("Salt Lake City", "Provo", "Lehi")),
    "Vermont": ("054", ("Burlington", "Montpelier")),
    "Virginia": ("232", ("Richmond", "Reston", "Fairfax", "McLean", "Norfolk", "Herndon")),
    "Washington": ("981", ("Seattle", "Bellevue", "Redmond", "Spokane", "Tacoma")),
    "West Virginia": ("253", ("Charleston", "Morgantown", "Huntington")),
    "Wisconsin": ("532", ("Milwaukee", "Madison", "Green Bay")),
    "Wyoming": ("820", ("Cheyenne", "Casper")),
}
_STATES: tuple[str, ...] = tuple(s for s in STATE_CODES if s in _CITIES)
# Where fictional headquarters are (weights loosely follow where US public companies are based).
_HQ_WEIGHTS: dict[str, int] = {
    "California": 18, "Texas": 10, "New York": 8, "Massachusetts": 6, "Illinois": 5, "Florida": 5,
    "Georgia": 4, "Washington": 4, "Virginia": 4, "North Carolina": 4, "Pennsylvania": 4, "Ohio": 4,
    "New Jersey": 4, "Colorado": 3, "Minnesota": 3, "Michigan": 3, "Tennessee": 2, "Arizona": 2,
    "Maryland": 2, "Connecticut": 2, "Missouri": 2, "Wisconsin": 2, "Indiana": 2, "Utah": 2, "Nevada": 2,
    "Oregon": 2, "Kentucky": 1, "Louisiana": 1, "Alabama": 1, "South Carolina": 1, "Oklahoma": 1,
    "Iowa": 1, "Kansas": 1, "Nebraska": 1, "Arkansas": 1, "New Hampshire": 1, "Rhode Island": 1,
    "Idaho": 1, "Maine": 1, "Mississippi": 1, "New Mexico": 1, "Delaware": 1,
}
_FOREIGN = ("Monterrey, Mexico", "Suzhou, China", "Penang, Malaysia", "Dublin, Ireland",
            "Rotterdam, the Netherlands", "Bangalore, India", "Sao Paulo, Brazil", "Ostrava, Czech Republic",
            "Ontario, Canada", "Leeds, England", "Kaohsiung, Taiwan", "Wroclaw, Poland",
            "Guadalajara, Mexico", "Singapore")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
_FYE = (("December", 31), ("December", 31), ("December", 31), ("December", 31), ("September", 30),
        ("June", 30), ("March", 31), ("January", 31), ("October", 31))
_SMALL_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}

# ---------------------------------------------------------------------------------------------------------
# Names (invented).
# ---------------------------------------------------------------------------------------------------------
_STEMS = ("Norv", "Castel", "Brim", "Talb", "Quen", "Vey", "Ard", "Lum", "Sel", "Harr", "Orin", "Pell",
          "Zeph", "Corv", "Marl", "Tess", "Kiv", "Ebr", "Dalm", "Rook", "Fenw", "Gald", "Hollis", "Istr",
          "Jarr", "Kest", "Lorv", "Mend", "Nest", "Obel", "Prax", "Quill", "Ravel", "Sorr", "Tamb", "Ulst",
          "Varr", "Wex", "Yarb", "Zant", "Auber", "Bexl", "Cald", "Dorr", "Elst", "Frisc", "Garv", "Helm")
_ENDINGS = ("ant", "ex", "ia", "on", "ora", "ium", "en", "ara", "ix", "eon", "ova", "ent", "ar", "eda", "ine",
            "us", "ell", "ite", "ano", "ory")
_SUFFIXES = ("Inc.", "Inc.", "Inc.", "Corporation", "Corp.", "Holdings, Inc.", "Co.", "Group, Inc.")
_FIRST = ("Alan", "Beatrice", "Carlos", "Dana", "Elena", "Frank", "Grace", "Hector", "Irene", "James",
          "Karen", "Luis", "Maria", "Nathan", "Olivia", "Peter", "Rachel", "Samuel", "Teresa", "Victor",
          "Wendy", "Aaron", "Brenda", "Colin", "Diane", "Edward", "Fiona", "Gregory", "Helen", "Ian", "Julia",
          "Kevin", "Laura", "Michael", "Nina", "Oscar", "Priya", "Robert", "Sandra", "Thomas")
_LAST = ("Abernathy", "Bellamy", "Castillo", "Dunmore", "Ellery", "Fairbanks", "Galloway", "Hartwell",
         "Iverson", "Jessup", "Kendrick", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Prescott", "Quintero",
         "Rasmussen", "Sorensen", "Thornbury", "Underhill", "Valdez", "Whitcombe", "Yardley", "Zielinski",
         "Ashford", "Brennan", "Calloway", "Delacroix", "Eastwood", "Fitzgerald", "Greer", "Holloway",
         "Ingram", "Kowalski", "Lockhart", "Merriweather", "Northcott", "Pemberton", "Radcliffe")
_STREETS = ("Riverside", "Commerce", "Innovation", "Lakeview", "Market", "Corporate", "Technology", "Harbor",
            "Summit", "Meridian", "Park", "Gateway", "Fountain", "Willow", "Granite", "Pioneer", "Cedar",
            "Oak")
_STREET_KINDS = ("Drive", "Avenue", "Boulevard", "Parkway", "Street", "Way", "Place", "Road")
_TITLES = ("Chief Financial Officer", "Chief Operating Officer", "General Counsel and Corporate Secretary",
           "Chief Technology Officer", "Chief Human Resources Officer", "Executive Vice President, Sales",
           "Senior Vice President and Chief Accounting Officer", "Chief Information Officer",
           "President, International Operations")


# ---------------------------------------------------------------------------------------------------------
# Industries: the vocabulary the prose templates draw from.
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Industry:
    key: str
    descriptors: tuple[str, ...]
    name_words: tuple[str, ...]
    verbs: tuple[str, ...]
    products: tuple[str, ...]
    customers: tuple[str, ...]
    markets: tuple[str, ...]
    inputs: tuple[str, ...]
    channels: tuple[str, ...]
    facilities: tuple[str, ...]
    regulators: tuple[str, ...]
    laws: tuple[str, ...]
    rivals: tuple[str, ...]
    seasonality: tuple[str, ...]
    tech: tuple[str, ...]
    segments: tuple[str, ...]
    workforce: tuple[str, ...]
    sites: str


_INDUSTRIES: tuple[_Industry, ...] = (
    _Industry(
        "chemicals", ("a global specialty chemicals company",
                      "a developer and manufacturer of specialty chemicals"),
        ("Materials", "Chemical", "Polymers"), ("develop, manufacture and sell", "produce and market"),
        ("performance coatings", "industrial adhesives", "specialty resins", "process catalysts",
         "surface treatment additives", "engineered pigments", "water treatment chemicals",
         "silicone sealants"),
        ("automotive manufacturers", "packaging converters", "paint and coatings formulators",
         "building products companies", "electronics assemblers", "municipal water utilities"),
        ("automotive", "construction", "packaging", "electronics", "agriculture", "consumer goods"),
        ("natural gas", "propylene", "titanium dioxide", "specialty solvents", "mineral fillers"),
        ("our direct sales force", "independent distributors", "regional sales agents"),
        ("manufacturing plant", "blending facility", "technical service laboratory"),
        ("the Environmental Protection Agency", "the Occupational Safety and Health Administration",
         "the Department of Transportation"),
        ("the Toxic Substances Control Act", "the Clean Air Act",
         "the Resource Conservation and Recovery Act"),
        ("large diversified chemical companies", "regional producers", "low-cost importers"),
        ("demand for our deicing additives is highest during the winter months",
         "sales of our coatings products are typically stronger in the second and third fiscal quarters, "
         "when construction activity peaks"),
        ("polymer chemistry", "particle engineering", "process automation", "formulation science"),
        ("Performance Materials", "Industrial Additives", "Specialty Coatings", "Water Solutions"),
        ("employees",), "plants",
    ),
    _Industry(
        "meddevice", ("a medical technology company", "a developer of minimally invasive medical devices"),
        ("Medical", "Surgical", "Biomedical"), ("design, manufacture and market",
                                                "develop and commercialize"),
        ("surgical staplers", "orthopedic implants", "infusion pumps", "diagnostic catheters",
         "wound closure products", "patient monitoring systems", "endoscopic instruments",
         "single-use sensors"),
        ("hospitals", "ambulatory surgery centers", "group purchasing organizations", "physician practices",
         "integrated delivery networks", "home health agencies"),
        ("orthopedic", "cardiovascular", "general surgery", "critical care", "urology"),
        ("medical-grade resins", "titanium bar stock", "electronic components", "sterilization services"),
        ("our direct sales representatives", "independent sales agencies", "national distributors"),
        ("manufacturing facility", "sterilization center", "distribution center"),
        ("the Food and Drug Administration", "the Centers for Medicare and Medicaid Services",
         "the Department of Health and Human Services"),
        ("the Federal Food, Drug, and Cosmetic Act", "the federal Anti-Kickback Statute",
         "the Physician Payments Sunshine Act"),
        ("large multinational medical device companies", "smaller specialized device makers",
         "reprocessors of single-use devices"),
        ("procedure volumes are typically lower in the summer months and higher in the fourth quarter, "
         "when patients have met their insurance deductibles",),
        ("biomaterials", "embedded software", "precision machining", "sensor design"),
        ("Surgical Solutions", "Orthopedics", "Patient Monitoring", "Vascular Therapies"),
        ("employees", "associates"), "facilities",
    ),
    _Industry(
        "software", ("a provider of cloud-based enterprise software", "a software company"),
        ("Software", "Systems", "Technologies"), ("develop and sell", "provide"),
        ("subscription analytics applications", "workflow automation tools", "supply chain planning software",
         "financial close applications", "customer engagement platforms", "data integration services",
         "identity management products", "developer tools"),
        ("mid-sized enterprises", "financial institutions", "government agencies", "healthcare systems",
         "retailers", "manufacturers"),
        ("financial services", "retail", "public sector", "healthcare", "manufacturing"),
        ("third-party cloud hosting", "data center capacity", "licensed content",
         "payment processing services"),
        ("our direct sales organization", "systems integrators", "online self-service channels"),
        ("data center", "development center", "customer support center"),
        ("the Federal Trade Commission", "the Consumer Financial Protection Bureau",
         "the Department of Commerce"),
        ("the Gramm-Leach-Bliley Act", "the Health Insurance Portability and Accountability Act",
         "the General Data Protection Regulation"),
        ("large enterprise software vendors", "point-solution start-ups", "in-house IT departments"),
        ("a disproportionate share of new subscription bookings is signed in the fourth fiscal quarter",),
        ("machine learning", "distributed databases", "application security", "natural language processing"),
        ("Cloud Applications", "Professional Services", "Platform", "Analytics"),
        ("employees", "team members"), "offices",
    ),
    _Industry(
        "bank", ("a bank holding company", "the holding company for a community bank"),
        ("Bancorp", "Financial", "Bancshares"), ("offer", "provide"),
        ("commercial real estate loans", "residential mortgage loans", "small business loans",
         "deposit accounts", "treasury management services", "wealth management services",
         "consumer installment loans", "home equity lines of credit"),
        ("small and medium-sized businesses", "professionals", "individuals", "municipalities",
         "nonprofit organizations", "real estate investors"),
        ("commercial lending", "residential lending", "retail banking", "wealth management"),
        ("core deposits", "brokered deposits", "advances from the Federal Home Loan Bank"),
        ("our branch network", "our mobile banking application", "relationship managers"),
        ("full-service branch", "loan production office", "operations center"),
        ("the Board of Governors of the Federal Reserve System", "the Federal Deposit Insurance Corporation",
         "the Office of the Comptroller of the Currency", "the Consumer Financial Protection Bureau"),
        ("the Bank Holding Company Act", "the Community Reinvestment Act", "the Bank Secrecy Act",
         "the Dodd-Frank Wall Street Reform and Consumer Protection Act"),
        ("large national banks", "credit unions", "online lenders", "other community banks"),
        ("deposit balances tend to rise in the second quarter as municipal customers receive tax receipts",),
        ("digital banking", "credit risk modeling", "fraud detection"),
        ("Community Banking", "Mortgage Banking", "Wealth Management"),
        ("employees", "associates"), "branches",
    ),
    _Industry(
        "restaurants", ("an operator and franchisor of casual dining restaurants", "a restaurant company"),
        ("Restaurants", "Hospitality", "Dining"), ("prepare and serve", "serve"),
        ("grilled entrees", "hand-made burgers", "seasonal salads", "craft beverages", "catering packages",
         "family meal bundles", "breakfast menu items", "signature desserts"),
        ("families", "business travelers", "value-conscious diners", "catering customers",
         "delivery customers"),
        ("casual dining", "fast casual", "catering", "off-premises dining"),
        ("beef", "poultry", "fresh produce", "dairy products", "cooking oil"),
        ("our company-operated restaurants", "franchised restaurants", "third-party delivery platforms"),
        ("restaurant", "commissary kitchen", "distribution center"),
        ("the Food and Drug Administration", "the Department of Labor", "local health departments"),
        ("the Fair Labor Standards Act", "the Americans with Disabilities Act", "menu labeling rules"),
        ("national restaurant chains", "independent local restaurants", "grocery prepared-food offerings"),
        ("our restaurant sales are typically highest in the spring and summer months",
         "sales at our restaurants in resort areas are strongest during the tourist season"),
        ("online ordering", "kitchen display systems", "loyalty program analytics"),
        ("Company Restaurants", "Franchise Operations", "Catering"),
        ("team members", "employees"), "restaurants",
    ),
    _Industry(
        "grocery", ("a regional supermarket chain", "a food retailer"),
        ("Markets", "Foods", "Stores"), ("sell", "offer"),
        ("fresh produce", "private label groceries", "prepared foods", "pharmacy services", "fuel centers",
         "bakery products", "natural and organic foods", "household essentials"),
        ("households", "value-conscious shoppers", "pharmacy patients", "online grocery customers"),
        ("grocery", "pharmacy", "fuel", "e-commerce"),
        ("perishable products", "private label merchandise", "packaging materials", "diesel fuel"),
        ("our supermarkets", "our online ordering platform", "curbside pickup"),
        ("supermarket", "warehouse", "milk processing plant"),
        ("the Food and Drug Administration", "the Department of Agriculture", "state boards of pharmacy"),
        ("the Perishable Agricultural Commodities Act", "the Food Safety Modernization Act",
         "the Controlled Substances Act"),
        ("national supercenters", "warehouse clubs", "discount grocers", "online retailers"),
        ("sales are typically highest around the Thanksgiving and year-end holidays",),
        ("demand forecasting", "self-checkout systems", "loyalty analytics"),
        ("Retail Grocery", "Milk Processing", "Real Estate"),
        ("associates", "employees"), "stores",
    ),
    _Industry(
        "semis", ("a fabless semiconductor company", "a supplier of analog and mixed-signal semiconductors"),
        ("Semiconductor", "Microsystems", "Silicon"), ("design, develop and sell", "design and market"),
        ("power management integrated circuits", "optical transceivers", "radio frequency front-end modules",
         "microcontrollers", "timing devices", "sensor interface chips", "high-speed connectivity products",
         "motor control devices"),
        ("original equipment manufacturers", "contract manufacturers", "distributors",
         "hyperscale data center operators", "automotive suppliers"),
        ("data center", "automotive", "industrial", "communications", "consumer electronics"),
        ("silicon wafers", "assembly and test services", "substrates", "photomasks"),
        ("our direct sales force", "distributors", "manufacturers' representatives"),
        ("design center", "test facility", "wafer fabrication facility"),
        ("the Bureau of Industry and Security", "the Department of Commerce",
         "the Environmental Protection Agency"),
        ("the Export Administration Regulations", "conflict minerals disclosure rules",
         "the Restriction of Hazardous Substances directive"),
        ("large integrated device manufacturers", "other fabless semiconductor companies",
         "internal design teams of our customers"),
        ("shipments to consumer electronics customers are typically highest in the third quarter ahead of "
         "the holiday season",),
        ("mixed-signal design", "photonics", "advanced packaging", "low-power architectures"),
        ("Data Center", "Automotive and Industrial", "Communications"),
        ("employees",), "design centers",
    ),
    _Industry(
        "energy", ("an independent oil and natural gas company", "an exploration and production company"),
        ("Energy", "Resources", "Petroleum"), ("explore for, develop and produce", "acquire and develop"),
        ("crude oil", "natural gas", "natural gas liquids", "gathering services", "water disposal services"),
        ("refiners", "midstream companies", "marketing companies", "utilities"),
        ("upstream", "midstream", "oilfield services"),
        ("drilling rigs", "hydraulic fracturing services", "steel tubulars", "sand proppant"),
        ("purchasers at the wellhead", "pipeline transportation", "third-party marketers"),
        ("field office", "gas processing plant", "saltwater disposal facility"),
        ("the Bureau of Land Management", "the Environmental Protection Agency",
         "the Federal Energy Regulatory Commission",
         "the Pipeline and Hazardous Materials Safety Administration"),
        ("the Clean Water Act", "the Safe Drinking Water Act", "the Oil Pollution Act"),
        ("major integrated oil companies", "independent producers", "private equity-backed operators"),
        ("demand for natural gas is generally higher in the winter heating season and during summer "
         "cooling periods",),
        ("horizontal drilling", "reservoir modeling", "completion design"),
        ("Exploration and Production", "Midstream", "Marketing"),
        ("employees",), "field offices",
    ),
    _Industry(
        "logistics", ("a transportation and logistics company",
                      "a provider of truckload and freight services"),
        ("Logistics", "Transport", "Freight"), ("provide", "offer"),
        ("truckload services", "less-than-truckload services", "dedicated fleet services",
         "intermodal services", "freight brokerage", "warehousing services", "final-mile delivery"),
        ("retailers", "consumer products companies", "manufacturers", "food and beverage producers",
         "e-commerce sellers"),
        ("retail", "industrial", "food and beverage", "paper and packaging"),
        ("diesel fuel", "tractors and trailers", "tires", "purchased transportation"),
        ("our sales team", "our digital freight platform", "long-term dedicated contracts"),
        ("terminal", "maintenance shop", "cross-dock facility"),
        ("the Federal Motor Carrier Safety Administration", "the Department of Transportation",
         "the Surface Transportation Board"),
        ("hours-of-service rules", "the Clean Air Act", "electronic logging device rules"),
        ("other truckload carriers", "railroads", "asset-light brokers", "private fleets"),
        ("freight volumes are typically lower in the first quarter and strongest ahead of the holiday "
         "shipping season",),
        ("route optimization", "telematics", "automated dispatch"),
        ("Truckload", "Dedicated", "Logistics"),
        ("employees", "team members"), "terminals",
    ),
    _Industry(
        "biotech", ("a clinical-stage biopharmaceutical company", "a biotechnology company"),
        ("Therapeutics", "Biosciences", "Pharmaceuticals"), ("discover and develop", "develop"),
        ("antibody therapies", "small molecule inhibitors", "gene therapy candidates",
         "cell therapy programs", "enzyme replacement therapies", "RNA-based medicines"),
        ("patients with rare diseases", "oncologists", "specialty pharmacies", "academic medical centers"),
        ("oncology", "immunology", "rare disease", "neurology"),
        ("contract manufacturing capacity", "clinical trial services", "reagents", "viral vectors"),
        ("collaboration partners", "a specialty sales force", "specialty distributors"),
        ("research laboratory", "process development facility", "vivarium"),
        ("the Food and Drug Administration", "the European Medicines Agency",
         "the Drug Enforcement Administration"),
        ("the Federal Food, Drug, and Cosmetic Act", "the Public Health Service Act", "the Orphan Drug Act"),
        ("large pharmaceutical companies", "other biotechnology companies", "academic research institutions"),
        ("our business is not seasonal, although the timing of clinical milestones can cause our expenses "
         "to vary from quarter to quarter",),
        ("protein engineering", "computational biology", "high-throughput screening"),
        ("Research and Development", "Collaborations"),
        ("employees",), "laboratories",
    ),
    _Industry(
        "aerospace", ("a supplier of engineered aerospace components", "an aerospace and defense company"),
        ("Aerospace", "Dynamics", "Avionics"), ("design, manufacture and service",
                                                "engineer and manufacture"),
        ("flight control actuators", "cockpit displays", "landing gear components", "engine seals",
         "cabin lighting systems", "precision bearings", "fuel system valves", "ground support equipment"),
        ("commercial aircraft manufacturers", "airlines", "maintenance, repair and overhaul providers",
         "defense prime contractors", "government agencies"),
        ("commercial aerospace", "defense", "business aviation", "space"),
        ("titanium", "aluminum forgings", "specialty alloys", "electronic components"),
        ("our program management teams", "authorized repair stations", "long-term supply agreements"),
        ("machining facility", "repair station", "assembly plant"),
        ("the Federal Aviation Administration", "the Department of Defense",
         "the Defense Contract Audit Agency"),
        ("the International Traffic in Arms Regulations", "the Federal Acquisition Regulation",
         "the Truthful Cost or Pricing Data Act"),
        ("larger diversified aerospace suppliers", "niche component makers",
         "the in-house operations of aircraft manufacturers"),
        ("aftermarket sales tend to be lower in the summer when airlines defer maintenance during peak "
         "travel",),
        ("composite materials", "additive manufacturing", "embedded controls"),
        ("Commercial Aerospace", "Defense Systems", "Aftermarket Services"),
        ("employees",), "facilities",
    ),
    _Industry(
        "foods", ("a branded packaged foods company", "a manufacturer of snack foods and beverages"),
        ("Foods", "Brands", "Provisions"), ("manufacture, market and distribute", "produce and sell"),
        ("salty snacks", "frozen entrees", "nutrition bars", "ready-to-drink teas", "baking mixes",
         "plant-based proteins", "breakfast cereals", "canned soups"),
        ("grocery chains", "mass merchandisers", "club stores", "convenience stores",
         "foodservice distributors"),
        ("grocery", "foodservice", "convenience", "club"),
        ("wheat flour", "vegetable oils", "sugar", "corrugated packaging", "cocoa"),
        ("our direct store delivery network", "food brokers", "wholesale distributors"),
        ("production facility", "distribution center", "co-packing facility"),
        ("the Food and Drug Administration", "the Department of Agriculture", "the Federal Trade Commission"),
        ("the Food Safety Modernization Act", "nutrition labeling rules", "the Lanham Act"),
        ("large multinational food companies", "private label manufacturers", "emerging natural brands"),
        ("sales of our soups and baking mixes peak in the fall and winter, while beverage sales are "
         "highest in the summer",),
        ("food science", "flavor development", "packaging engineering"),
        ("Snacks", "Frozen Foods", "Beverages", "Foodservice"),
        ("employees", "associates"), "plants",
    ),
    _Industry(
        "apparel", ("a designer and marketer of apparel and footwear", "a lifestyle apparel company"),
        ("Apparel", "Outfitters", "Brands"), ("design, source and market", "design and sell"),
        ("performance outerwear", "denim", "athletic footwear", "workwear", "children's clothing",
         "accessories", "swimwear", "base layers"),
        ("department stores", "specialty retailers", "e-commerce customers", "sporting goods chains"),
        ("outdoor", "athletic", "work and safety", "fashion"),
        ("cotton", "synthetic fabrics", "trims and zippers", "finished goods from contract factories"),
        ("our wholesale accounts", "our retail stores", "our e-commerce sites"),
        ("distribution center", "design studio", "outlet store"),
        ("the Consumer Product Safety Commission", "U.S. Customs and Border Protection",
         "the Federal Trade Commission"),
        ("the Consumer Product Safety Improvement Act", "textile labeling rules",
         "the Uyghur Forced Labor Prevention Act"),
        ("global athletic brands", "private label programs of large retailers", "fast-fashion retailers"),
        ("our business is seasonal, with the highest sales of outerwear in the third and fourth quarters",),
        ("fabric innovation", "digital product design", "demand planning"),
        ("Wholesale", "Direct-to-Consumer", "International"),
        ("employees", "associates"), "stores",
    ),
    _Industry(
        "homebuilder", ("a homebuilder", "a builder of single-family homes and townhomes"),
        ("Homes", "Communities", "Builders"), ("design, build and sell", "build and sell"),
        ("entry-level homes", "move-up homes", "active adult communities", "townhomes", "mortgage services",
         "title insurance services"),
        ("first-time buyers", "move-up buyers", "active adults", "investors in single-family rentals"),
        ("entry-level", "move-up", "active adult", "luxury"),
        ("lumber", "concrete", "drywall", "developed lots", "subcontracted labor"),
        ("our sales centers", "cooperating real estate brokers", "online sales tools"),
        ("design center", "division office", "model home"),
        ("the Environmental Protection Agency", "the Department of Housing and Urban Development",
         "the Consumer Financial Protection Bureau"),
        ("the Clean Water Act", "the Endangered Species Act", "the Real Estate Settlement Procedures Act"),
        ("national homebuilders", "regional and local builders", "sellers of existing homes"),
        ("new home orders are typically highest in the spring selling season, and closings peak in the "
         "fourth quarter",),
        ("energy-efficient construction", "digital sales tools", "land planning"),
        ("Homebuilding", "Financial Services", "Land Development"),
        ("employees", "team members"), "communities",
    ),
    _Industry(
        "telecom", ("a provider of broadband and communications services", "a fiber network operator"),
        ("Communications", "Networks", "Telecom"), ("provide", "offer"),
        ("fiber broadband", "business ethernet", "voice services", "managed Wi-Fi", "video services",
         "data center interconnection", "wholesale transport"),
        ("residential subscribers", "small businesses", "enterprises", "wireless carriers",
         "government customers"),
        ("residential", "business", "wholesale", "government"),
        ("fiber optic cable", "network electronics", "pole attachments", "programming content"),
        ("our retail stores", "our call centers", "door-to-door sales teams"),
        ("network operations center", "central office", "customer care center"),
        ("the Federal Communications Commission", "state public utility commissions",
         "the National Telecommunications and Information Administration"),
        ("the Communications Act", "universal service fund rules", "net neutrality rules"),
        ("cable operators", "incumbent telephone companies", "fixed wireless providers",
         "satellite providers"),
        ("subscriber connections are typically highest in the third quarter, when college students return",),
        ("passive optical networking", "network virtualization", "automated provisioning"),
        ("Consumer", "Business", "Wholesale"),
        ("employees",), "markets",
    ),
    _Industry(
        "insurance", ("a specialty property and casualty insurance holding company",
                      "an insurance holding company"),
        ("Insurance", "Assurance", "Underwriters"), ("underwrite", "write"),
        ("commercial auto policies", "workers' compensation coverage", "homeowners policies",
         "excess and surplus lines coverage", "professional liability coverage", "inland marine coverage"),
        ("small businesses", "homeowners", "contractors", "transportation companies", "professional firms"),
        ("commercial lines", "personal lines", "specialty lines"),
        ("reinsurance capacity", "claims adjusting services", "catastrophe models"),
        ("independent agents", "wholesale brokers", "managing general agents"),
        ("claims office", "underwriting office", "data center"),
        ("state insurance departments", "the National Association of Insurance Commissioners",
         "the Federal Insurance Office"),
        ("insurance holding company system laws", "risk-based capital requirements",
         "the Terrorism Risk Insurance Act"),
        ("national insurers", "regional mutual companies", "insurtech start-ups"),
        ("our losses are typically higher in the second and third quarters, during the convective storm "
         "and hurricane seasons",),
        ("predictive underwriting", "claims automation", "telematics"),
        ("Commercial Lines", "Personal Lines", "Specialty"),
        ("employees", "associates"), "offices",
    ),
    _Industry(
        "staffing", ("a provider of workforce solutions", "a staffing and recruiting company"),
        ("Staffing", "Workforce", "Talent"), ("provide", "deliver"),
        ("temporary staffing", "permanent placement", "managed services programs", "payroll services",
         "recruitment process outsourcing", "light industrial staffing", "professional staffing"),
        ("manufacturers", "distribution companies", "hospitals", "technology companies",
         "government agencies"),
        ("light industrial", "professional", "healthcare", "information technology"),
        ("job board subscriptions", "background screening", "workers' compensation insurance"),
        ("our branch offices", "national account teams", "our mobile application"),
        ("branch office", "recruiting center", "shared services center"),
        ("the Department of Labor", "the Equal Employment Opportunity Commission", "state labor agencies"),
        ("the Fair Labor Standards Act", "the Affordable Care Act", "state wage and hour laws"),
        ("national staffing firms", "local agencies", "online talent marketplaces"),
        ("demand for temporary workers is seasonal, with the first quarter typically the weakest",),
        ("candidate matching", "mobile scheduling", "vendor management systems"),
        ("Commercial Staffing", "Professional Services", "Healthcare Staffing"),
        ("employees",), "branches",
    ),
    _Industry(
        "renewables", ("a developer and operator of renewable energy projects", "a clean energy company"),
        ("Renewables", "Power", "Solar"), ("develop, own and operate", "develop and finance"),
        ("utility-scale solar projects", "wind farms", "battery storage systems", "community solar gardens",
         "renewable energy credits", "operations and maintenance services"),
        ("electric utilities", "corporate power buyers", "municipal utilities", "cooperatives"),
        ("utility-scale", "commercial and industrial", "community solar", "energy storage"),
        ("solar modules", "inverters", "wind turbines", "lithium-ion cells", "steel racking"),
        ("long-term power purchase agreements", "wholesale power markets", "community solar subscriptions"),
        ("operations center", "project site office", "warehouse"),
        ("the Federal Energy Regulatory Commission", "state public utility commissions",
         "regional transmission organizations"),
        ("the Federal Power Act", "the Public Utility Regulatory Policies Act", "federal tax credit rules"),
        ("large independent power producers", "utility-owned developers", "private developers"),
        ("solar generation is highest in the summer months, and wind generation is typically strongest in "
         "the spring",),
        ("energy forecasting", "tracker controls", "battery management software"),
        ("Solar", "Wind", "Energy Storage"),
        ("employees",), "projects",
    ),
    _Industry(
        "machinery", ("a manufacturer of industrial equipment", "a diversified industrial machinery company"),
        ("Industries", "Machinery", "Equipment"), ("design, manufacture and service", "manufacture and sell"),
        ("hydraulic pumps", "conveyor systems", "industrial compressors", "packaging machinery",
         "flow meters", "material handling equipment", "aftermarket parts", "welding systems"),
        ("original equipment manufacturers", "mining companies", "food processors", "municipalities",
         "rental companies"),
        ("mining", "food processing", "water", "general industrial"),
        ("steel", "castings", "motors", "electronic controls"),
        ("independent dealers", "our direct sales force", "national distributors"),
        ("manufacturing plant", "service center", "parts distribution center"),
        ("the Occupational Safety and Health Administration", "the Environmental Protection Agency",
         "the Mine Safety and Health Administration"),
        ("the Clean Air Act", "the Comprehensive Environmental Response, Compensation, and Liability Act",
         "product safety standards"),
        ("large multinational equipment makers", "regional fabricators", "low-cost imports"),
        ("shipments of our agricultural equipment are highest ahead of the spring planting season",),
        ("hydraulics", "industrial IoT", "precision manufacturing"),
        ("Flow Technologies", "Material Handling", "Aftermarket"),
        ("employees",), "plants",
    ),
)

# ---------------------------------------------------------------------------------------------------------
# Prose templates (written for this generator). Placeholders are filled by _Ctx.fill.
# ---------------------------------------------------------------------------------------------------------
_STRENGTHS = ("long-standing customer relationships", "a broad and differentiated portfolio",
              "scale in purchasing and distribution", "an experienced management team",
              "proprietary {tech} capabilities", "a reputation for quality and reliability",
              "a disciplined approach to capital allocation", "a flexible, low-cost operating model",
              "a strong balance sheet", "deep expertise in {market} markets")
_STRATEGIES = ("investing in {tech}", "growing our share with {customer}",
               "pursuing disciplined acquisitions", "improving margins through operational excellence",
               "expanding our offering of {product}", "strengthening {channel}",
               "entering adjacent {market} markets", "returning capital to shareholders")
_DRIVERS = ("population growth", "infrastructure investment", "increasing regulation",
            "the shift to digital channels", "an aging population", "consumer preferences for convenience",
            "rising energy costs", "the need for productivity gains")

_POOLS: dict[str, tuple[str, ...]] = {
    "overview": (
        "We {verb} {product}, {product} and {product} for {customer} and {customer}.",
        "Our customers include {customer}, {customer} and {customer}.",
        "We serve customers in more than {n_countries} countries from a network of {n_sites} {sites}.",
        "For fiscal {fy}, we reported net revenue of {revenue}.",
        "Our long-term strategy rests on {strategy}, {strategy} and {strategy}.",
        "We believe our competitive strengths include {strength}, {strength} and {strength}.",
        "We market our offerings primarily through {channel}, supplemented by {channel}.",
        "Demand for our offerings is driven by {driver} and {driver}.",
        "Over the past {n_word} years we have expanded our presence in {market} and {market} markets.",
        "Our {segment} segment accounted for approximately {pct}% of consolidated revenue in fiscal {fy}.",
        "We believe we are among the leading providers of {product} in North America.",
        "Approximately {pct}% of our revenue in fiscal {fy} came from customers outside the United States.",
    ),
    "strategy": (
        "We intend to continue {strategy} while maintaining our focus on cost discipline.",
        "A central element of our strategy is {strategy}, which we believe will allow us to grow faster "
        "than our end markets.",
        "We seek acquisitions that broaden our offering of {product} or extend our reach into {market} "
        "markets.",
        "We expect to fund our growth initiatives with cash from operations and borrowings under our credit "
        "facility.",
        "We continue to invest in {tech} to improve the performance and cost of our {product}.",
        "We believe that {driver} will support demand for our {product} over the long term.",
        "We measure progress against our strategy through targets for revenue growth, margin expansion and "
        "return on invested capital.",
        "Our capital allocation priorities are reinvestment in the business, selective acquisitions and the "
        "return of excess cash to shareholders.",
        "We aim to grow organically faster than our markets by {strategy}.",
        "We evaluate each business against clear financial criteria and may exit activities that do not "
        "meet them.",
        "Our operating model emphasizes local decision-making supported by shared services.",
    ),
    "products": (
        "Our {product} are used by {customer} in {market} applications.",
        "We offer {product} in a range of specifications and price points, which allows us to serve both "
        "large and small {customer}.",
        "We introduced {n_word} new offerings during fiscal {fy}, including products marketed under the "
        "{brand} brand.",
        "Sales of {product} represented approximately {pct}% of net revenue in fiscal {fy}, compared with "
        "{pct}% in fiscal {fy_prev}.",
        "Our {brand} line includes {product} and related {product}.",
        "Many of our {product} are designed to customer specifications and qualified through lengthy "
        "testing, which we believe creates meaningful switching costs.",
        "We also provide installation, maintenance and technical support services for our {product}.",
        "We continue to broaden our line of {product} to address demand from {market} customers.",
        "Product quality and consistency are critical to our customers, and each of our {facilities} "
        "operates under a documented quality management system.",
        "Our {product} compete on the basis of performance, reliability, service and total cost of "
        "ownership.",
        "Revenue from {product} tends to be recurring, as customers reorder on a regular schedule.",
        "We sell {product} under our own brands and, to a lesser extent, under private label arrangements.",
        "Our {brand} family of {product} is designed for {customer} that need consistent performance at high "
        "volumes.",
        "We categorize our offerings into {product}, {product} and {product}.",
        "Pricing for our {product} reflects performance, service levels and the cost of key inputs such as "
        "{input}.",
        "We redesigned several of our {product} during fiscal {fy} to reduce their cost and improve "
        "reliability.",
        "Our offerings are supported by application engineers who help {customer} select and deploy the "
        "right solution.",
        "We discontinued certain lower-margin {product} in fiscal {fy_prev} to focus on more differentiated "
        "offerings.",
    ),
    "customers": (
        "Our customers include {customer}, {customer} and {customer}.",
        "No single customer accounted for more than {pct_small}% of our consolidated revenue in fiscal {fy}.",
        "Our ten largest customers represented approximately {pct}% of revenue in fiscal {fy}.",
        "We have served many of our largest customers for more than {n_word} years.",
        "Sales to {customer} are generally made under purchase orders rather than long-term contracts.",
        "We work closely with {customer} to develop offerings that meet their evolving requirements.",
        "The loss of, or a significant reduction in purchases by, one of our larger customers could "
        "adversely affect our results of operations.",
        "We extend credit to customers based on an evaluation of their financial condition and generally do "
        "not require collateral.",
        "We seek to build long-term relationships with {customer} by offering a broad portfolio and "
        "dependable service.",
        "Our customer base is diversified across {market}, {market} and {market} markets.",
        "Customer retention has historically been high, and many customers expand their purchases over time.",
        "We monitor customer satisfaction through surveys, account reviews and service metrics.",
        "Demand from {customer} generally follows broader economic conditions in the {market} market.",
    ),
    "sales": (
        "We market our offerings through {channel} and {channel}.",
        "Our sales organization is organized by region and by end market, with dedicated teams for "
        "{customer}.",
        "We supplement our direct efforts with {channel}, which extends our reach to smaller customers.",
        "Our marketing activities include trade shows, digital campaigns, technical seminars and "
        "cooperative advertising programs.",
        "Advertising and promotion expense was {money} in fiscal {fy}.",
        "We maintain a customer loyalty program that rewards repeat purchases and provides insight into "
        "buying patterns.",
        "Our account managers work with {customer} to forecast demand and manage inventory levels.",
        "We believe the technical knowledge of our sales personnel is an important competitive advantage.",
        "We also sell through {channel} in regions where we do not maintain a direct presence.",
        "Our digital channels accounted for a growing share of orders in fiscal {fy}.",
        "We train our sales and service personnel on new offerings before each product launch.",
        "Sales compensation is tied to revenue, margin and customer retention goals.",
        "We participate in industry associations that give us visibility into the needs of {customer}.",
    ),
    "competition": (
        "The markets in which we operate are highly competitive.",
        "We compete with {rival}, {rival} and {rival}.",
        "Some of our competitors have greater financial, technical and marketing resources than we do.",
        "We believe the principal competitive factors in our markets are price, quality, service, breadth "
        "of offering and speed of delivery.",
        "Competition for {customer} is based primarily on price and service.",
        "New entrants, including {rival}, have increased pricing pressure in several of our markets.",
        "We believe our investments in {tech} differentiate us from {rival}.",
        "Consolidation among {customer} has increased their purchasing power and the competitive pressure we "
        "face.",
        "Our competitive position varies by product line and geography.",
        "In the {market} market, we compete primarily with {rival}.",
        "Some competitors offer lower prices, but we believe our service and product performance justify a "
        "premium.",
        "Barriers to entry in our markets include technical know-how, customer qualification and scale.",
        "We regularly benchmark our offerings against those of {rival} to identify opportunities for "
        "improvement.",
    ),
    "suppliers": (
        "The principal inputs to our business are {input}, {input} and {input}.",
        "We purchase {input} from a number of suppliers and believe that alternative sources are available.",
        "Prices of {input} can be volatile, and we may not be able to pass increases through to customers.",
        "We have long-term supply agreements for a portion of our {input} requirements.",
        "We did not experience material shortages of {input} in fiscal {fy}, although lead times lengthened "
        "for certain items.",
        "We seek to maintain at least two qualified sources for each critical input.",
        "Our procurement team monitors supplier performance on quality, delivery and cost.",
        "We have not experienced significant disruptions from suppliers of {input} in recent years.",
        "Freight and logistics costs are an increasing component of our total input costs.",
    ),
    "operations": (
        "We operate {n_sites} {sites} and a network of {facilities}.",
        "Our {facility} located in {other_city} is our largest and serves customers throughout the region.",
        "In fiscal {fy}, we opened a new {facility} in {other_city} to support growth in {market} markets.",
        "We lease most of our {facilities} under operating leases with remaining terms of {n_word} to ten "
        "years.",
        "We believe our facilities are adequate for our current needs and that additional space is "
        "available on reasonable terms.",
        "We continually evaluate our footprint and consolidated two {facilities} during fiscal {fy_prev}.",
        "Capital expenditures were {money} in fiscal {fy} and were directed mainly to capacity and "
        "automation.",
        "We apply lean principles across our operations to reduce waste and improve throughput.",
        "Our operations team tracks safety, quality, delivery and cost metrics at each site on a daily "
        "basis.",
        "We completed an expansion of our {facility} during fiscal {fy}, adding capacity for {product}.",
        "Our {facilities} operated at approximately {pct_high}% of capacity in fiscal {fy}.",
        "We maintain business continuity plans for each of our principal {facilities}.",
        "Inventory is held at our {facilities} and at third-party warehouses near major customers.",
    ),
    "rnd": (
        "Our research and development efforts focus on {tech} and {tech}.",
        "Research and development expense was {money} in fiscal {fy}.",
        "Our engineers work with {customer} early in the design cycle to develop new {product}.",
        "We maintain technical centers that support product development, testing and customer applications.",
        "We also collaborate with universities and research institutes on longer-term projects in {tech}.",
        "New offerings introduced in the last three years represented approximately {pct}% of revenue in "
        "fiscal {fy}.",
        "We evaluate research projects using stage-gate reviews that consider technical risk and commercial "
        "potential.",
        "Our development teams use customer feedback to prioritize improvements to our {product}.",
    ),
    "ip": (
        "We rely on a combination of patents, trademarks, trade secrets and contractual protections to "
        "protect our intellectual property.",
        "We hold approximately {n_mid} issued patents and have approximately {n_small} patent applications "
        "pending.",
        "Our patents expire at various dates through {future_year}.",
        "We consider the {brand} trademark to be material to our business.",
        "We do not believe that the expiration of any single patent would have a material adverse effect on "
        "our business.",
        "We require employees and consultants to sign agreements that protect our confidential information.",
        "From time to time, we license technology related to {tech} from third parties.",
    ),
    "regulation": (
        "Our operations are subject to extensive regulation by {regulator} and {regulator}.",
        "We are subject to {law}, {law} and similar state and foreign requirements.",
        "Compliance with these laws has not had a material effect on our capital expenditures, earnings or "
        "competitive position.",
        "Changes in the laws that apply to our business, or in their interpretation, could increase our "
        "costs.",
        "We maintain compliance programs that include training, monitoring and periodic internal audits.",
        "Failure to comply with {law} could result in fines, penalties or restrictions on our operations.",
        "We are also subject to laws governing data privacy, anti-corruption and international trade.",
        "{regulator_cap} periodically inspects our {facilities}, and we have not received any material "
        "findings in recent inspections.",
        "Our international operations are subject to export controls, sanctions and customs requirements.",
        "We monitor regulatory developments and participate in industry comment processes where appropriate.",
        "Regulators may change applicable requirements with little notice, which could require changes to "
        "our operations.",
        "We hold the licenses and permits required to operate our {facilities}, and we renew them as "
        "required.",
    ),
    "environmental": (
        "We are subject to environmental laws governing air emissions, wastewater discharges and the "
        "handling of hazardous materials.",
        "We have been named as a potentially responsible party at {n_word} third-party disposal sites, none "
        "of which we believe is material.",
        "Environmental compliance costs were not material in fiscal {fy}.",
        "We have set targets to reduce the greenhouse gas intensity of our operations by {pct}% by "
        "{future_year}.",
        "We monitor proposed climate-related regulations that could affect our costs or the demand for our "
        "products.",
    ),
    "seasonality": (
        "Our business is seasonal; {season}.",
        "As a result, our quarterly results are not necessarily indicative of results for a full year.",
        "We manage seasonal swings through flexible staffing, inventory planning and our revolving credit "
        "facility.",
        "Weather conditions can also affect demand in a given quarter.",
    ),
    "backlog": (
        "Backlog was {backlog} at the end of fiscal {fy}, compared with {backlog} a year earlier.",
        "We expect to fill most of our backlog within the next twelve months.",
        "Backlog is not necessarily indicative of future revenue because orders may be rescheduled or "
        "cancelled.",
    ),
    "sustainability": (
        "We publish an annual sustainability report describing our environmental and social programs.",
        "Our board of directors oversees our sustainability strategy through its nominating and governance "
        "committee.",
        "In fiscal {fy}, we sourced approximately {pct}% of the electricity used at our {facilities} from "
        "renewable sources.",
        "We seek to reduce waste through recycling programs at each of our {facilities}.",
        "We work with suppliers to improve labor and environmental practices in our supply chain.",
    ),
    "security": (
        "We maintain an information security program designed to protect our systems and the data entrusted "
        "to us by {customer}.",
        "Our program is aligned with widely used industry frameworks and is assessed periodically by "
        "independent third parties.",
        "Our chief information security officer reports to our chief information officer and briefs the "
        "audit committee of our board of directors at least quarterly.",
        "We provide security awareness training to all personnel and conduct regular phishing simulations.",
        "We evaluate the security practices of vendors that have access to our systems or data.",
        "We maintain incident response plans and test them through tabletop exercises.",
        "We have not experienced a cybersecurity incident that materially affected our business, results of "
        "operations or financial condition.",
        "We carry insurance that may cover certain losses from cybersecurity incidents, subject to "
        "deductibles and limits.",
        "Our use of {tech} depends on systems operated by third parties, which we monitor under contractual "
        "security requirements.",
    ),
    "international": (
        "We conduct business in more than {n_countries} countries, and our international operations are "
        "managed through regional teams.",
        "Sales outside the United States represented approximately {pct}% of revenue in fiscal {fy}.",
        "Our international business is subject to currency fluctuations, tariffs and changes in trade "
        "policy.",
        "We use forward contracts from time to time to reduce our exposure to changes in foreign exchange "
        "rates.",
        "We source a portion of our {input} from suppliers outside the United States.",
        "Local teams adapt our offerings and marketing to the requirements of customers in each region.",
        "We are expanding our presence in {market} markets in Asia and Latin America.",
        "Our international operations are subject to anti-bribery laws, export controls and economic "
        "sanctions.",
    ),
    "quality": (
        "Our quality management system covers product design, purchasing, production and service.",
        "Several of our {facilities} are certified to international quality management standards.",
        "We track quality metrics such as defect rates, on-time delivery and customer complaints at every "
        "site.",
        "Customers audit our {facilities} periodically, and we address any findings through corrective "
        "action plans.",
        "We require key suppliers of {input} to meet our quality standards and audit them on a risk basis.",
        "Warranty costs were not material in fiscal {fy}.",
        "Continuous improvement teams at each site review quality data and implement process changes.",
        "We investigate product complaints promptly and report to {regulator} where required.",
    ),
    "human_capital": (
        "We believe our people are our most important asset and a key to our long-term success.",
        "We offer competitive compensation, including base pay, annual incentives and, for eligible "
        "employees, long-term equity awards.",
        "Our benefits include medical, dental and vision coverage, a retirement savings plan with a company "
        "match, paid time off and parental leave.",
        "We conduct an annual engagement survey, and approximately {pct}% of employees participated in the "
        "most recent survey.",
        "Safety is a core value, and our recordable incident rate in fiscal {fy} was below the industry "
        "average.",
        "We provide training and development programs, including leadership development, technical training "
        "and tuition assistance.",
        "We are committed to an inclusive workplace, and our employee resource groups are open to all.",
        "Women represented approximately {pct}% of our workforce and {pct}% of our management positions at "
        "the end of fiscal {fy}.",
        "Voluntary turnover was approximately {pct_small}% in fiscal {fy}.",
        "We consider our relationship with our employees to be good.",
        "Our chief human resources officer reports regularly to the compensation committee of our board of "
        "directors on workforce matters.",
        "We recruit through our website, university partnerships, employee referrals and professional "
        "networks.",
        "Our internship program provides a pipeline of early-career talent for our technical and commercial "
        "teams.",
        "We review pay practices annually to support fair and competitive compensation.",
        "Our employee assistance program offers confidential counseling and support services.",
        "Many of our managers were promoted from within, which we believe supports retention and continuity.",
        "We offer flexible work arrangements for roles that can be performed remotely.",
    ),
    "available_info": (
        "Our website address is www.{domain}.com. Information on our website is not incorporated by "
        "reference into this report.",
        "We make our annual, quarterly and current reports, and amendments to those reports, available free "
        "of charge on our website as soon as reasonably practicable after we file them with the Securities "
        "and Exchange Commission (the \"SEC\").",
        "The SEC maintains a website that contains reports, proxy statements and other information about "
        "issuers that file electronically.",
        "Our code of conduct, corporate governance guidelines and board committee charters are also "
        "available on our website.",
        "Our common stock is listed on the {exchange} under the symbol \"{ticker}\".",
    ),
}
# Templates whose placeholders vary (vocabulary, numbers); the others read the same every time they are used.
_FIXED_PLACEHOLDERS = frozenset({"fy", "fy_prev", "co", "sites", "work", "domain", "ticker", "exchange"})
_VARIABLE = frozenset(t for pool in _POOLS.values() for t in pool
                      if set(re.findall(r"\{(\w+)\}", t)) - _FIXED_PLACEHOLDERS)
_HEADINGS: dict[str, tuple[str, ...]] = {
    "overview": ("Overview", "General", "Our Company", "Business Overview"),
    "strategy": ("Our Strategy", "Business Strategy", "Growth Strategy"),
    "products": ("Products and Services", "Our Products", "Products"),
    "customers": ("Customers", "Our Customers", "Customers and Markets"),
    "sales": ("Sales and Marketing", "Sales, Marketing and Distribution", "Marketing"),
    "competition": ("Competition", "Competitive Environment"),
    "suppliers": ("Raw Materials", "Suppliers", "Sources and Availability of Raw Materials"),
    "operations": ("Operations", "Facilities", "Manufacturing and Operations"),
    "rnd": ("Research and Development", "Product Development"),
    "ip": ("Intellectual Property", "Patents and Trademarks", "Intellectual Property and Proprietary Rights"),
    "regulation": ("Government Regulation", "Regulation", "Regulatory Matters"),
    "environmental": ("Environmental Matters", "Environmental, Health and Safety Matters"),
    "seasonality": ("Seasonality",),
    "backlog": ("Backlog",),
    "sustainability": ("Sustainability", "Environmental, Social and Governance"),
    "security": ("Information Security", "Cybersecurity", "Information Technology and Cybersecurity"),
    "international": ("International Operations", "International"),
    "quality": ("Quality Assurance", "Quality Management", "Quality"),
    "human_capital": ("Human Capital", "Human Capital Resources", "Employees", "Our People"),
    "available_info": ("Available Information", "Where You Can Find More Information"),
    "history": ("Corporate History", "History and Organization", "Our History", "Organization"),
    "corp_info": ("Corporate Information", "Corporate Information and Headquarters", "General Information"),
    "execs": ("Information about our Executive Officers", "Executive Officers of the Registrant"),
}
_HC_SUBHEADINGS = ("Compensation and Benefits", "Health and Safety", "Training and Development",
                   "Culture and Engagement", "Diversity, Equity and Inclusion")
_FILLER_ORDER = ("strategy", "products", "customers", "sales", "competition", "suppliers", "operations",
                 "quality", "rnd", "ip", "international", "regulation", "environmental", "security",
                 "seasonality", "backlog", "sustainability")

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
_INC_STATE_DECK = ("delaware",) * 6 + ("nevada", "home", "home", "home", "commonwealth", "other")


# ---------------------------------------------------------------------------------------------------------
# Public data types
# ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SyntheticFiling:
    """One generated filing: its text, ground truth (None = not stated) and how it was built."""

    filename: str
    cik: str
    year: str
    company: str
    section_1: str
    truth: dict[str, str | None]  # question key -> canonical answer or None
    styles: dict[str, str]  # "inc" / "hq" / "emp" -> phrasing style; "absent" -> what is missing
    fact_lines: dict[str, tuple[int, ...]]  # question key -> 0-based indices of the lines that state it
    fact_depth: dict[str, float]  # question key -> relative char position of its first statement
    distractors: tuple[str, ...]  # kinds of distractor sentences present

    def csv_row(self) -> dict[str, str]:
        """The filing's row of ground_truth.csv (empty string where the fact is not stated)."""
        row = {"filename": self.filename, "cik": self.cik, "year": self.year, "company": self.company}
        for key in QUESTION_KEYS:
            row[QUESTIONS[key].column] = self.truth[key] or ""
        return row


@dataclass(frozen=True)
class GeneratedCorpus:
    """Where generate_corpus wrote the corpus, and what is in it."""

    out_dir: Path
    corpus_path: Path
    ground_truth_path: Path
    readme_path: Path
    seed: int
    n_filings: int
    generator_version: str
    n_stated: dict[str, int]  # question key -> filings whose text states it (non-empty CSV cell)
    n_chars: tuple[int, int, int]  # min, median, max length of section_1 in characters
    filings: tuple[SyntheticFiling, ...] = field(repr=False, default=())

    @property
    def csv_path(self) -> Path:
        """The ground-truth CSV (same as ``ground_truth_path``)."""
        return self.ground_truth_path


# ---------------------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------------------
_Line = tuple[str, frozenset[str]]  # (text, tags): tags name the facts the line states


def _plural(noun: str) -> str:
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("s", "ch", "sh", "x")):
        return noun + "es"
    return noun + "s"


def _a(word: str) -> str:
    """The indefinite article for ``word`` ("an Ohio", "a Utah", "a Delaware")."""
    return "an" if word and word[0] in "AEIO" else "a"


def _fmt(n: int) -> str:
    return f"{n:,}"


def _word_boundary(form: str) -> str:
    return rf"(?<![\w$.,]){re.escape(form)}(?![\w]|[.,]\d)"


class _Ctx:
    """Per-filing state: random source, vocabulary, truth values and the numbers text may not use."""

    def __init__(self, rng: random.Random, industry: _Industry, company: str, short: str, fy: int):
        self.rng = rng
        self.ind = industry
        self.company = company
        self.short = short
        self.fy = fy
        self.inc_year: int | None = None
        self.count: int | None = None
        self.truth_states: set[str] = set()
        self.avoid_states: set[str] = set()
        self.forbidden: list[re.Pattern[str]] = []
        self.segment: str | None = None
        self.revenue_m = 1.0  # annual revenue in $ millions; set from the head-count once it is drawn
        self.used: dict[str, int] = {}  # template -> times used in this filing
        self.brands = [self._brand() for _ in range(3)]
        self.domain = re.sub(r"[^a-z]", "", short.lower())
        self.ticker = (short[:3] + rng.choice("AEKLRSTX")).upper()

    # ----- truth registration: text outside fact lines must never contain these forms -----
    def reserve_year(self, year: int) -> None:
        self.inc_year = year
        self.forbidden.append(re.compile(rf"(?<!\d){year}(?!\d)"))

    def reserve_count(self, n: int) -> None:
        self.count = n
        for form in _count_surface(n):
            if " " in form:
                number, word = form.split(" ")
                self.forbidden.append(re.compile(rf"(?<![\d.]){re.escape(number)}\s+{word}", re.I))
            else:
                self.forbidden.append(re.compile(rf"(?<!\d){re.escape(form)}(?!\d)"))

    def clean(self, text: str) -> bool:
        return not any(p.search(text) for p in self.forbidden)

    # ----- random values -----
    def pick(self, seq: Sequence[str]) -> str:
        return seq[self.rng.randrange(len(seq))]

    def number(self, lo: int, hi: int, fmt: Callable[[int], str] = _fmt) -> str:
        for _ in range(200):
            text = fmt(self.rng.randint(lo, hi))
            if self.clean(text):
                return text
        raise RuntimeError("could not draw a number that avoids the reserved values")

    def year(self, lo: int, hi: int) -> int:
        lo, hi = max(lo, 1850), max(min(hi, self.fy), max(lo, 1850))
        for _ in range(200):
            y = self.rng.randint(lo, hi)
            if y != self.inc_year and self.clean(str(y)):
                return y
        raise RuntimeError("could not draw a year that avoids the reserved values")

    def other_state(self) -> str:
        """A state that is neither a truth state nor confusable with one (Virginia / West Virginia)."""
        while True:
            s = self.pick(_STATES)
            if s in self.truth_states or s in self.avoid_states:
                continue
            if any(s in t or t in s for t in self.truth_states):
                continue
            return s

    def city(self, state: str) -> str:
        return self.pick(_CITIES[state][1])

    def other_city(self) -> str:
        if self.rng.random() < 0.15:
            return self.pick(_FOREIGN)
        s = self.other_state()
        return f"{self.city(s)}, {s}"

    def zip_code(self, state: str) -> str:
        return self.number(0, 99, lambda n: f"{_CITIES[state][0]}{n:02d}")

    def street(self) -> str:
        num = self.number(100, 9900, str)
        return f"{num} {self.pick(_STREETS)} {self.pick(_STREET_KINDS)}"

    def person(self) -> str:
        return f"{self.pick(_FIRST)} {self.pick(_LAST)}"

    def other_company(self, suffix: str | None = None) -> str:
        name = self.pick(_STEMS) + self.pick(_ENDINGS)
        return f"{name} {suffix or self.pick(('Inc.', 'Corporation', 'LLC', 'Holdings, Inc.'))}"

    def _brand(self) -> str:
        stem = self.pick(_STEMS) + self.pick(("a", "o", "ix", "era", "on", "is"))
        return stem + self.rng.choice(("", "®", "™"))

    def money(self, lo: float = 0.004, hi: float = 0.25) -> str:
        """A dollar amount between ``lo`` and ``hi`` times the company's revenue."""
        amount = self.revenue_m * math.exp(self.rng.uniform(math.log(lo), math.log(hi)))
        if amount >= 1000:
            tenths = int(amount / 100)
            return self.number(tenths, tenths + 2, lambda n: f"${n / 10:.1f} billion")
        if amount >= 1:
            tenths = int(amount * 10)
            return self.number(tenths, tenths + 9, lambda n: f"${n / 10:,.1f} million")
        thousands = max(int(amount * 1000), 10)
        return self.number(thousands, thousands + 9, lambda n: f"${n * 1000:,}")

    def date(self, year: int) -> str:
        if self.rng.random() < 0.7:
            month, day = self.pick(_FYE)
        else:
            month, day = self.pick(_MONTHS), self.rng.randint(1, 28)
        return f"{month} {day}, {year}"

    # ----- template filling -----
    def fill(self, template: str) -> str:
        used: set[str] = set()

        def vocab(seq: Sequence[str]) -> str:
            options = [s for s in seq if s not in used] or list(seq)
            choice = self.pick(options)
            used.add(choice)
            return choice

        ind = self.ind
        fy = self.fy

        def resolve(m: re.Match[str]) -> str:
            key = m.group(1)
            simple: dict[str, Sequence[str]] = {
                "product": ind.products, "customer": ind.customers, "market": ind.markets,
                "input": ind.inputs, "channel": ind.channels, "facility": ind.facilities,
                "regulator": ind.regulators, "law": ind.laws, "rival": ind.rivals, "tech": ind.tech,
                "verb": ind.verbs, "driver": _DRIVERS, "season": ind.seasonality,
            }
            if key in simple:
                return vocab(simple[key])
            if key == "regulator_cap":
                r = vocab(ind.regulators)
                return r[0].upper() + r[1:]
            if key == "facilities":
                return _plural(vocab(ind.facilities))
            if key == "segment":
                return self.segment or vocab(ind.segments)
            if key == "strength":
                return self.fill(vocab(_STRENGTHS))
            if key == "strategy":
                return self.fill(vocab(_STRATEGIES))
            if key == "brand":
                return vocab(self.brands)
            if key == "sites":
                return ind.sites
            if key == "work":
                return ind.workforce[0]
            if key == "pct":
                return self.number(12, 68, str)
            if key == "pct_high":
                return self.number(62, 94, str)
            if key == "pct_small":
                return self.number(4, 11, str)
            if key == "n_word":
                return _SMALL_WORDS[self.rng.randint(2, 9)]
            if key == "n_small":
                return self.number(12, 60, str)
            if key == "n_mid":
                return self.number(60, 900, str)
            if key == "n_countries":
                return self.number(15, 110, str)
            if key == "n_sites":
                return self.number(8, 240, str)
            if key == "money":
                return self.money()
            if key == "backlog":
                return self.money(0.15, 0.3)
            if key == "revenue":
                return self.money(0.95, 1.05)
            if key == "fy":
                return str(fy)
            if key == "fy_prev":
                return str(fy - 1)
            if key == "future_year":
                return str(self.rng.randint(fy + 3, fy + 20))
            if key == "other_city":
                return self.other_city()
            if key == "co":
                return self.short
            if key == "domain":
                return self.domain
            if key == "ticker":
                return self.ticker
            if key == "exchange":
                if "New York" in self.truth_states:
                    return self.pick(("Nasdaq Global Select Market", "Nasdaq Capital Market"))
                return self.pick(("New York Stock Exchange", "Nasdaq Global Select Market",
                                  "Nasdaq Capital Market"))
            raise KeyError(f"unknown template placeholder {{{key}}}")

        return re.sub(r"\{(\w+)\}", resolve, template)

    def fresh(self, pool: str) -> int:
        """How many templates of ``pool`` this filing has not used yet."""
        return sum(t not in self.used for t in _POOLS[pool])

    def paragraph(self, pool: str, lo: int = 2, hi: int = 5) -> str:
        """``lo``-``hi`` sentences from a pool, least-used templates first.

        Unused templates come first; once a pool is used up (only in the longest filings), templates with
        varying placeholders are reused before fixed sentences, so reused sentences mostly read differently.
        """
        templates = _POOLS[pool]
        k = min(self.rng.randint(lo, hi), len(templates))

        def rank(t: str) -> float:
            n = self.used.get(t, 0)
            return n + (10.0 if n and t not in _VARIABLE else 0.0) + self.rng.random() * 0.1

        chosen = sorted(templates, key=rank)[:k]
        self.rng.shuffle(chosen)
        for t in chosen:
            self.used[t] = self.used.get(t, 0) + 1
        return " ".join(self.fill(t) for t in chosen)


def _count_surface(n: int) -> list[str]:
    """Forms a count can take in text: "12,500", "12500" and, for round millions, "2.3 million"."""
    forms = [_fmt(n), str(n)]
    if n >= 1_000_000 and n % 100_000 == 0:
        forms.append(f"{n / 1_000_000:g} million")
    if 1000 <= n < 1_000_000 and n % 100 == 0:
        forms.append(f"{n / 1000:g} thousand")
    return list(dict.fromkeys(forms))


def _state_ref(state: str, rng: random.Random, formal: bool) -> str:
    """'the State of X' / 'the Commonwealth of X' / 'X'."""
    if formal or rng.random() < 0.5:
        return f"the {'Commonwealth' if state in COMMONWEALTHS else 'State'} of {state}"
    return state


def _choose_count(ctx: _Ctx, style: str) -> int:
    rng = ctx.rng
    if style == "million":
        return rng.randint(11, 24) * 100_000
    if style == "no_comma":
        while True:
            n = rng.randint(1000, 9999)
            if not 1600 <= n <= 2099:
                return n
    while True:
        n = int(math.exp(rng.uniform(math.log(35), math.log(250_000))))
        if n >= 1000 and rng.random() < 0.6:  # real filings round larger head-counts
            n = round(n, -2 if n < 100_000 else -3)
        if not 1600 <= n <= 2099 and n not in (401,):
            return n


def _choose_inc_year(ctx: _Ctx) -> int:
    rng = ctx.rng
    decade = rng.choices((1900, 1920, 1950, 1970, 1980, 1990, 2000, 2010), (2, 2, 3, 5, 8, 9, 7, 4))[0]
    while True:
        y = rng.randint(decade, decade + 9)
        if y <= ctx.fy - 3 and y not in (1933, 1934):
            return y
        decade = rng.choice((1970, 1980, 1990))


def _inc_fact_lines(ctx: _Ctx, style: str, state: str, year: int, descriptor: str) -> list[_Line]:
    """Sentence(s) stating the state and year of incorporation, in one of INC_STYLES."""
    r, co, month = ctx.rng, ctx.short, ctx.pick(_MONTHS)
    day = r.randint(1, 28)
    both = frozenset({"inc_state", "inc_year"})
    if style == "incorporated_in_state_of":
        s = f"{co} was incorporated in {_state_ref(state, r, True)} in {year}."
    elif style == "organized_under_laws":
        s = f"We were organized under the laws of {_state_ref(state, r, False)} in {year}."
    elif style == "corporation_formed_in":
        s = f"{ctx.company}, {_a(state)} {state} corporation formed in {year}, is {descriptor}."
    elif style == "incorporated_under_laws_on_date":
        where = _state_ref(state, r, True)
        s = f"The Company was incorporated under the laws of {where} on {month} {day}, {year}."
    elif style == "established_as_corporation":
        s = (f"{co} was established in {year} as {_a(state)} {state} corporation and has grown through "
             "internal development and acquisitions.")
    elif style == "founded_as_corporation":
        s = f"{co} was founded as {_a(state)} {state} corporation in {year} by {ctx.person()}."
    elif style == "former_name":
        renamed = ctx.year(year + 1, ctx.fy - 1)
        old = ctx.pick(_STEMS) + ctx.pick(_ENDINGS)
        old += " " + ctx.pick(("Ventures", "Industries", "Enterprises"))
        s = (f"We were originally incorporated in {state} in {year} under the name {old}, Inc., and changed "
             "our name "
             f"to {ctx.company} in {renamed}.")
    elif style == "is_corporation_incorporated_month":
        s = f"{co} is {_a(state)} {state} corporation that was incorporated in {month} {year}."
    elif style == "year_then_laws":
        s = f"The Company was incorporated in {year} under the laws of {_state_ref(state, r, False)}."
    elif style == "formed_as_corporation_on":
        s = f"{co} was formed as {_a(state)} {state} corporation on {month} {day}, {year}."
    elif style == "holding_company":
        s = f"{ctx.company} is a holding company incorporated in {state} in {year}."
    elif style == "split_sentences":
        return [
            (f"{ctx.company}, {_a(state)} {state} corporation, is {descriptor}.", frozenset({"inc_state"})),
            (f"The Company was incorporated in {month} {year}.", frozenset({"inc_year"})),
        ]
    else:
        raise ValueError(f"unknown incorporation style {style!r}")
    return [(s, both)]


def _hq_fact_line(ctx: _Ctx, style: str, state: str, descriptor: str) -> _Line:
    """A sentence stating where the principal executive offices are, in one of HQ_STYLES."""
    city, code, co = ctx.city(state), STATE_CODES[state], ctx.short
    tags = frozenset({"hq_state"})
    area = ctx.number(201, 989, str)
    phone = f"({area}) 555-{ctx.number(100, 199, lambda n: f'{n:04d}')}"
    if style == "address_full":
        s = (f"Our principal executive offices are located at {ctx.street()}, {city}, {state} "
             f"{ctx.zip_code(state)}, "
             f"and our telephone number is {phone}.")
    elif style == "headquartered_in":
        s = f"We are headquartered in {city}, {state}."
    elif style == "hq_postal":
        s = f"Our corporate headquarters is located in {city}, {code} {ctx.zip_code(state)}."
    elif style == "address_postal":
        s = (f"Our principal executive offices are located at {ctx.street()}, Suite "
             f"{ctx.number(100, 990, str)}, "
             f"{city}, {code} {ctx.zip_code(state)}.")
    elif style == "is_headquartered":
        s = f"{co} is {descriptor} headquartered in {city}, {state}."
    elif style == "principal_offices_lease":
        sqft = ctx.number(20, 400, lambda n: _fmt(n * 1000))
        s = (f"Our principal offices are located in {city}, {state}, where we lease approximately {sqft} "
             "square feet.")
    elif style == "corporate_office":
        s = f"Our corporate office is located at {ctx.street()} in {city}, {state}."
    elif style == "hq_and_executive_offices":
        s = f"The Company's headquarters and principal executive offices are located in {city}, {state}."
    else:
        raise ValueError(f"unknown headquarters style {style!r}")
    return (s, tags)


def _emp_fact_line(ctx: _Ctx, style: str, count: int) -> _Line:
    """A sentence stating the total head-count, in one of EMP_STYLES (some carry subset/prior counts)."""
    r, tags = ctx.rng, frozenset({"employees"})
    asof = f"As of {ctx.date(ctx.fy)}"
    noun = ctx.pick(ctx.ind.workforce)
    if style == "full_time_only":
        s = f"{asof}, we had approximately {_fmt(count)} full-time {noun}."
    elif style == "total_then_split":
        ft = int(count * r.uniform(0.55, 0.85))
        while not (ctx.clean(_fmt(ft)) and ctx.clean(_fmt(count - ft))):
            ft -= 1
        s = (f"{asof}, we employed {_fmt(count)} persons, of whom {_fmt(ft)} were full-time and "
             f"{_fmt(count - ft)} "
             f"were part-time.")
    elif style == "million":
        word = ctx.pick(("associates", "employees"))
        s = f"{asof}, we had approximately {count / 1_000_000:g} million {word} worldwide."
    elif style == "total_with_subset":
        us = ctx.number(int(count * 0.4) or 1, max(int(count * 0.8), 2))
        s = (f"At {ctx.date(ctx.fy)}, our workforce consisted of {_fmt(count)} {noun}, including {us} in "
             "the United States.")
    elif style == "no_comma":
        s = f"We had {count} {noun} as of {ctx.date(ctx.fy)}."
    elif style == "prior_year":
        prev = ctx.number(int(count * 0.8) or 1, max(int(count * 1.15), 2))
        s = (f"{asof}, {ctx.short} and its subsidiaries employed approximately {_fmt(count)} people, "
             "compared with "
             f"approximately {prev} a year earlier.")
    elif style == "headcount_fiscal":
        s = f"Our total headcount was {_fmt(count)} at the end of fiscal {ctx.fy}."
    elif style == "across_countries":
        s = f"We employ approximately {_fmt(count)} {noun} across {ctx.number(3, 40, str)} countries."
    elif style == "none_unionized":
        s = f"{asof}, we had {_fmt(count)} {noun}, none of whom are represented by a labor union."
    elif style == "workforce_noun":
        word = ctx.pick(("team members", "associates", "employees"))
        s = f"{asof}, our team consisted of approximately {_fmt(count)} {word}."
    else:
        raise ValueError(f"unknown employee style {style!r}")
    return (s, tags)


def _absent_lines(ctx: _Ctx, kind: str, truth: dict[str, str | None], descriptor: str) -> list[_Line]:
    """Text for a row whose fact is missing or stated in a way the ground truth does not accept."""
    none: frozenset[str] = frozenset({f"absent:{kind}"})
    if kind == "inc_state":  # year only
        return [(f"The Company was incorporated in {truth['inc_year']}.", frozenset({"inc_year"}))]
    if kind == "inc_year":  # state only, and a founding year (not an incorporation year)
        founded = ctx.year(1920, ctx.fy - 5)
        return [(f"{ctx.short} is {_a(truth['inc_state'] or '')} {truth['inc_state']} corporation.",
                 frozenset({"inc_state"})),
                (f"The business was founded in {founded} by {ctx.person()}.", none)]
    if kind == "reincorporated":  # two states and years: the strict truth leaves both out
        s1, s2 = ctx.other_state(), ctx.other_state()
        while s2 == s1:
            s2 = ctx.other_state()
        y1 = ctx.year(1930, ctx.fy - 20)
        y2 = ctx.year(y1 + 2, ctx.fy - 3)
        return [(f"{ctx.short} was originally incorporated in {s1} in {y1} and reincorporated in {s2} in "
                 f"{y2}.", none)]
    if kind == "employees":
        if ctx.rng.random() < 0.5:
            return [(f"As of {ctx.date(ctx.fy)}, we had {ctx.number(200, 4000)} full-time employees and "
                     f"{ctx.number(40, 900)} part-time employees.", none)]
        return [(f"As of {ctx.date(ctx.fy)}, we had approximately {ctx.number(150, 9000)} full-time "
                 "equivalent "
                 f"employees.", none)]
    if kind == "hq_state":
        if ctx.rng.random() < 0.5:
            s = ctx.other_state()
            ctx.avoid_states.add(s)
            return [(f"We are based in {ctx.city(s)}, {s}.", none)]
        return [("We conduct our operations through offices and facilities described below.", none)]
    raise ValueError(f"unknown absent kind {kind!r}")


# ----- distractors: other states, years and head-counts, never the truth values -----
def _distractor_inc(ctx: _Ctx) -> tuple[str, str]:
    r = ctx.rng
    kind = r.choice(("subsidiary_state", "subsidiary_state", "acquisition", "founding_year", "former_parent"))
    s, y = ctx.other_state(), ctx.year(1950, ctx.fy - 1)
    sub = ctx.pick(_STEMS) + ctx.pick(_ENDINGS)
    if kind == "subsidiary_state":
        text = r.choice((
            f"Our principal operating subsidiary, {sub} LLC, is {_a(s)} {s} limited liability company formed "
            f"in {y}.",
            f"{sub}, Inc., our wholly owned subsidiary, was incorporated in {_state_ref(s, r, False)} in "
            f"{y}.",
            f"Our {ctx.pick(ctx.ind.segments)} business is conducted through {sub} Corp., {_a(s)} {s} "
            "corporation "
            f"organized in {y}.",
        ))
    elif kind == "acquisition":
        founded = ctx.year(1940, y - 1) if y > 1941 else y
        text = (f"In {y}, we acquired {ctx.other_company('Inc.')}, {_a(s)} {s} company founded in {founded}, "
                "which "
                f"expanded our offering of {ctx.pick(ctx.ind.products)}.")
    elif kind == "founding_year":
        lo = 1880
        hi = (ctx.inc_year - 1) if ctx.inc_year else ctx.fy - 10
        fy0 = ctx.year(lo, max(hi, lo + 1))
        text = (f"Our history dates back to {fy0}, when {ctx.person()} opened a small "
                f"{ctx.pick(ctx.ind.facilities)} "
                f"in {ctx.city(s)}, {s}.")
    else:
        text = (f"Before our initial public offering in {y}, we were a subsidiary of "
                f"{ctx.other_company('Corporation')},"
                f" {_a(s)} {s} corporation.")
    return kind, text


def _distractor_hq(ctx: _Ctx) -> tuple[str, str]:
    r = ctx.rng
    kind = r.choice(("facility_state", "facility_state", "subsidiary_hq", "customer_hq"))
    s = ctx.other_state()
    city = ctx.city(s)
    if kind == "facility_state":
        text = r.choice((
            f"We also operate a {ctx.pick(ctx.ind.facilities)} in {city}, {s}, and a "
            f"{ctx.pick(ctx.ind.facilities)} in {ctx.other_city()}.",
            f"Our largest {ctx.pick(ctx.ind.facilities)} is located in {city}, {s}.",
            f"In fiscal {ctx.fy}, we opened a regional office in {city}, {STATE_CODES[s]} {ctx.zip_code(s)}.",
        ))
    elif kind == "subsidiary_hq":
        text = (f"Our {ctx.pick(ctx.ind.segments)} segment is managed from its own headquarters in {city}, "
                f"{s}, "
                f"which it shares with our shared services center.")
    else:
        text = (f"We have a multi-year supply agreement with one of our largest customers, which is "
                f"headquartered in {city}, {s}.")
    return kind, text


def _distractor_emp(ctx: _Ctx, count: int | None) -> tuple[str, str]:
    r = ctx.rng
    base = count or r.randint(300, 20000)
    kind = r.choice(("layoff", "segment_headcount", "union", "contractors", "hires"))
    if kind == "layoff":
        n = ctx.number(max(base // 40, 5), max(base // 8, 10))
        text = (f"In {ctx.pick(_MONTHS)} {ctx.fy}, we reduced our workforce by approximately {n} positions "
                "as part "
                f"of a restructuring of our {ctx.pick(ctx.ind.segments)} operations.")
    elif kind == "segment_headcount":
        a = ctx.number(max(base // 5, 3), max(base // 3, 6))
        b = ctx.number(max(base // 8, 2), max(base // 5, 4))
        segs = list(ctx.ind.segments) + ["corporate"]
        s1, s2 = r.sample(segs[:-1], 2) if len(segs) > 2 else (segs[0], "corporate")
        text = (f"Of our employees, approximately {a} work in our {s1} segment and approximately {b} in our "
                f"{s2} "
                f"segment, with the remainder in corporate and shared functions.")
    elif kind == "union":
        n = ctx.number(max(base // 20, 2), max(base // 4, 4))
        text = f"Approximately {n} of our employees are covered by collective bargaining agreements."
    elif kind == "contractors":
        n = ctx.number(max(base // 30, 5), max(base // 6, 10))
        text = (f"In addition to our employees, we engaged approximately {n} independent contractors and "
                "temporary workers.")
    else:
        n = ctx.number(max(base // 15, 5), max(base // 4, 10))
        text = f"We hired approximately {n} new employees during fiscal {ctx.fy}."
    return kind, text


_SEGMENT_TOPICS = ("products", "customers", "competition", "operations", "sales")
# Pools rich in placeholders: they take the extra paragraphs once every pool is used up.
_LARGE_POOLS = ("products", "customers", "competition", "operations", "sales", "regulation", "strategy")
_DISTRACTOR_FAMILY = {
    "inc": ("subsidiary_state", "acquisition", "founding_year", "former_parent"),
    "hq": ("facility_state", "subsidiary_hq", "customer_hq"),
    "emp": ("layoff", "segment_headcount", "union", "contractors", "hires"),
}
# Where each distractor kind is placed (section keys; "segment" = per-segment subsections).
_DISTRACTOR_HOMES: dict[str, tuple[str, ...]] = {
    "subsidiary_state": ("history", "corp_info", "overview", "segment"),
    "acquisition": ("history", "overview", "strategy", "corp_info"),
    "founding_year": ("history", "corp_info", "overview"),
    "former_parent": ("history", "corp_info", "overview"),
    "facility_state": ("operations", "overview", "corp_info", "segment"),
    "subsidiary_hq": ("corp_info", "overview", "segment", "operations"),
    "customer_hq": ("customers", "sales", "overview"),
    "layoff": ("human_capital", "human_capital", "overview", "operations"),
    "segment_headcount": ("human_capital", "human_capital", "segment"),
    "union": ("human_capital",),
    "contractors": ("human_capital", "operations"),
    "hires": ("human_capital",),
}


# ----- structured pieces: tables and officer lists, one cell per line as in EDGAR extracts -----
def _facility_table(ctx: _Ctx) -> list[str]:
    lines = ["Location", "Principal Use", "Approximate Square Feet", "Owned or Leased"]
    for _ in range(ctx.rng.randint(3, 6)):
        lines += [ctx.other_city(), ctx.pick(ctx.ind.facilities).capitalize(),
                  ctx.number(15, 600, lambda n: _fmt(n * 1000)), ctx.pick(("Owned", "Leased"))]
    return lines


def _segment_table(ctx: _Ctx) -> list[str]:
    """Revenue by segment; the shares add up to 100%."""
    lines = ["Segment", f"Fiscal {ctx.fy} Revenue (in millions)", "Percent of Total"]
    segs = ctx.ind.segments
    for _ in range(200):
        weights = [ctx.rng.uniform(0.5, 3.0) for _ in segs]
        pcts = [round(100 * w / sum(weights)) for w in weights]
        pcts[0] += 100 - sum(pcts)
        cells = [(f"${ctx.revenue_m * p / 100:,.1f}", f"{p}%") for p in pcts]
        if all(p > 0 for p in pcts) and all(ctx.clean(a) and ctx.clean(b) for a, b in cells):
            break
    for seg, (revenue, pct) in zip(segs, cells, strict=True):
        lines += [seg, revenue, pct]
    return lines


def _exec_lines(ctx: _Ctx) -> list[str]:
    lines = ["Name", "Age", "Position"]
    bios = []
    titles = ["President and Chief Executive Officer"] + ctx.rng.sample(_TITLES, ctx.rng.randint(2, 5))
    for title in titles:
        name = ctx.person()
        lines += [name, ctx.number(38, 71, str), title]
        since = ctx.year(ctx.fy - 15, ctx.fy - 1)
        prior = ctx.year(since - 12, since - 2)
        bios.append(f"{name} has served as our {title} since {since}. Before joining {ctx.short}, "
                    f"{name.split()[0]} "
                    f"held senior positions at {ctx.other_company()} from {prior} to {since}.")
    return lines + bios


# ----- assembling a filing -----
@dataclass
class _Section:
    lines: list[_Line]

    @property
    def size(self) -> int:
        return sum(len(t) + 1 for t, _ in self.lines)


def _untagged(texts: Sequence[str]) -> list[_Line]:
    return [(t, frozenset()) for t in texts]


def _build_filing(
    ctx: _Ctx, plan: dict[str, str], target_chars: int
) -> tuple[list[_Line], dict[str, str | None], list[str]]:
    """Lay out one filing's lines. Returns (lines, truth, distractor kinds)."""
    r, ind = ctx.rng, ctx.ind
    absent = plan["absent"]

    # --- truth values ---
    hq_state = r.choices(list(_HQ_WEIGHTS), list(_HQ_WEIGHTS.values()))[0]
    cat = plan["inc_state_cat"]
    if cat == "delaware":
        inc_state = "Delaware"
    elif cat == "nevada":
        inc_state = "Nevada"
    elif cat == "home":
        inc_state = hq_state
    elif cat == "commonwealth":
        inc_state = r.choice(sorted(COMMONWEALTHS))
    else:
        inc_state = r.choice(_STATES)
    inc_year = _choose_inc_year(ctx)
    count = _choose_count(ctx, plan["emp"])
    truth: dict[str, str | None] = {
        "inc_state": inc_state, "inc_year": str(inc_year), "employees": str(count), "hq_state": hq_state,
    }
    if absent == "reincorporated":
        truth["inc_state"] = truth["inc_year"] = None
    elif absent != "none":
        truth[absent] = None
    for key in ("inc_state", "hq_state"):
        if truth[key]:
            ctx.truth_states.add(truth[key])  # type: ignore[arg-type]
    if truth["inc_year"]:
        ctx.reserve_year(inc_year)
    if truth["employees"]:
        ctx.reserve_count(count)
    ctx.revenue_m = count * r.uniform(0.12, 0.45)

    descriptor = ctx.pick(ind.descriptors)
    depth = {"inc": plan["inc_depth"], "hq": plan["hq_depth"], "emp": plan["emp_depth"]}

    # --- fact lines (or their absent replacements) ---
    if absent in ("inc_state", "inc_year", "reincorporated"):
        inc_lines = _absent_lines(ctx, absent, truth, descriptor)
    else:
        inc_lines = _inc_fact_lines(ctx, plan["inc"], inc_state, inc_year, descriptor)
    hq_lines = (_absent_lines(ctx, "hq_state", truth, descriptor) if absent == "hq_state"
                else [_hq_fact_line(ctx, plan["hq"], hq_state, descriptor)])
    emp_lines = (_absent_lines(ctx, "employees", truth, descriptor) if absent == "employees"
                 else [_emp_fact_line(ctx, plan["emp"], count)])

    # --- opening: item heading, preamble, overview (carries the "early" facts) ---
    head = r.choice((["Item 1.", "Business"], ["Item 1. Business"], ["ITEM 1. BUSINESS"],
                     ["Item 1. Business."]))
    opening = _untagged(head)
    if r.random() < 0.6:
        preamble = (f"Unless the context requires otherwise, the terms \"{ctx.short},\" \"the Company,\" "
                    f"\"we,\" \"us\" and \"our\" refer to {ctx.company} and its consolidated subsidiaries.")
        opening.append((preamble, frozenset()))
    overview: list[_Line] = [(ctx.pick(_HEADINGS["overview"]), frozenset())]  # carries the early facts
    intro = r.choice((
        f"{ctx.company} (\"{ctx.short}\" or the \"Company\") is {descriptor}.",
        f"{ctx.short} is {descriptor} serving {' and '.join(r.sample(ind.customers, 2))}.",
        f"We are {descriptor}. We {ctx.pick(ind.verbs)} {ctx.pick(ind.products)} for "
        f"{ctx.pick(ind.customers)}.",
    ))
    overview.append((intro + " " + ctx.paragraph("overview", 1, 3), frozenset()))
    for key, lines in (("inc", inc_lines), ("hq", hq_lines), ("emp", emp_lines)):
        if depth[key] == "early":
            overview.extend(lines)
    overview.append((ctx.paragraph("overview", 2, 4), frozenset()))

    # --- carrier sections for middle/late facts ---
    carriers: list[tuple[float, _Section]] = []

    def carrier(heading_key: str, lines: list[_Line], extra_pool: str | None) -> _Section:
        body: list[_Line] = [(ctx.pick(_HEADINGS[heading_key]), frozenset())]
        body.extend(lines)
        if extra_pool and target_chars > 12000:
            body.append((ctx.paragraph(extra_pool, 2, 4), frozenset()))
        return _Section(body)

    def frac(d: str) -> float:
        return r.uniform(0.3, 0.62) if d == "middle" else r.uniform(0.72, 0.98)

    merged = depth["inc"] == depth["hq"] != "early" and r.random() < 0.5
    hq_in_available_info = False
    if merged:
        carriers.append((frac(depth["inc"]), carrier("corp_info", inc_lines + hq_lines, None)))
    else:
        if depth["inc"] != "early":
            carriers.append((frac(depth["inc"]), carrier("history", inc_lines, None)))
        if depth["hq"] != "early":
            hq_in_available_info = r.random() < 0.5
            key = "available_info" if hq_in_available_info else "corp_info"
            carriers.append((frac(depth["hq"]), carrier(key, hq_lines,
                                                        key if hq_in_available_info else None)))
    # The human capital section always exists; it states the count only when the count is not early.
    hc = _Section([(ctx.pick(_HEADINGS["human_capital"]), frozenset())])
    if depth["emp"] != "early":
        hc.lines.extend(emp_lines)
    hc.lines.append((ctx.paragraph("human_capital", 2, 4), frozenset()))
    hc_frac = frac(depth["emp"]) if depth["emp"] != "early" else r.uniform(0.5, 0.95)
    carriers.append((hc_frac, hc))

    # --- distractors: several per filing (no kind twice), each its own paragraph ---
    distractor_kinds: list[str] = []
    loose: list[tuple[str, str]] = []
    n_inc = r.randint(1, 2) + (r.random() < 0.4)
    wanted = (("inc", n_inc), ("hq", r.randint(1, 2)), ("emp", r.randint(1, 3)))
    for family, n_wanted in wanted:
        for _ in range(6 * n_wanted):
            if sum(k in _DISTRACTOR_FAMILY[family] for k in distractor_kinds) >= n_wanted:
                break
            if family == "inc":
                kind, text = _distractor_inc(ctx)
            elif family == "hq":
                kind, text = _distractor_hq(ctx)
            else:
                kind, text = _distractor_emp(ctx, count)
            if kind not in distractor_kinds:
                distractor_kinds.append(kind)
                loose.append((kind, text))

    # --- closing sections: executive officers (longer filings), available information ---
    closing: list[_Section] = []
    if target_chars > 9000 or r.random() < 0.3:
        closing.append(_Section(_untagged([ctx.pick(_HEADINGS["execs"])] + _exec_lines(ctx))))
    if not hq_in_available_info:
        closing.append(_Section(_untagged([ctx.pick(_HEADINGS["available_info"]),
                                           ctx.paragraph("available_info", 2, 4)])))

    # --- filler sections until the target length is reached ---
    total = sum(len(t) + 1 for t, _ in opening + overview) + sum(s.size for _, s in carriers)
    total += sum(len(t) + 1 for _, t in loose) + sum(s.size for s in closing)
    names = [n for n in _FILLER_ORDER if r.random() < 0.75] or ["products"]
    sections: dict[str, _Section] = {n: _Section([(ctx.pick(_HEADINGS[n]), frozenset())]) for n in names}
    # Short filings get one paragraph in some sections; long ones add paragraphs and per-segment subsections.
    order = list(names)
    r.shuffle(order)
    for n in order:
        if total >= target_chars:
            break
        para = ctx.paragraph(n)
        sections[n].lines.append((para, frozenset()))
        total += sections[n].size  # heading + first paragraph (sections left empty are dropped)
    if "operations" in sections and total < target_chars and r.random() < 0.7:
        table = _untagged(_facility_table(ctx))
        sections["operations"].lines.extend(table)
        total += sum(len(t) + 1 for t, _ in table)
    growable = dict(sections)
    growable["human_capital"] = hc
    # Per-segment subsections (one block per segment, each subsection a different topic).
    seg_blocks: dict[str, _Section] = {}
    seg_topics: dict[str, list[str]] = {}
    while total < target_chars:
        open_segments = [sg for sg in ind.segments if seg_topics.get(sg, _SEGMENT_TOPICS)]
        if open_segments and r.random() < 0.3:
            seg = r.choice(open_segments)
            if seg not in seg_blocks:
                seg_blocks[seg] = _Section([(seg, frozenset())])
                seg_topics[seg] = list(_SEGMENT_TOPICS)
            topic = seg_topics[seg].pop(r.randrange(len(seg_topics[seg])))
            ctx.segment = seg  # "{segment}" in the templates now names this segment
            added = [(ctx.pick(_HEADINGS[topic]), frozenset()), (ctx.paragraph(topic, 3, 6), frozenset())]
            ctx.segment = None
            seg_blocks[seg].lines.extend(added)
            total += sum(len(t) + 1 for t, _ in added)
            continue
        # Sections whose pool still has unused sentences first; once every pool is used up (the longest
        # filings), the large pools take more paragraphs with fresh fills.
        fresh = [n for n in sorted(growable) if ctx.fresh(n) >= 3]
        n = r.choice(fresh or [n for n in _LARGE_POOLS if n in growable] or sorted(growable))
        if n == "human_capital" and r.random() < 0.5 and ctx.fresh(n) >= 3:
            hc.lines.append((r.choice(_HC_SUBHEADINGS), frozenset()))
            total += len(hc.lines[-1][0]) + 1
        para = ctx.paragraph(n, 3, 6)
        growable[n].lines.append((para, frozenset()))
        total += len(para) + 1
    segment_blocks = list(seg_blocks.values())

    body: list[_Section] = []
    if segment_blocks:
        intro_seg = (f"We manage our business through {len(ind.segments)} reportable segments: "
                     f"{', '.join(ind.segments[:-1])} and {ind.segments[-1]}.")
        body.append(_Section([("Reportable Segments", frozenset()), (intro_seg, frozenset())]
                             + _untagged(_segment_table(ctx))))
        body.extend(segment_blocks)
    body.extend(sections[n] for n in names if len(sections[n].lines) > 1)

    # Put each distractor paragraph into a section where such a sentence belongs (after its heading).
    first = _Section(opening + overview)
    named: dict[str, list[_Section]] = {"overview": [first], "human_capital": [hc], "segment": segment_blocks}
    for n in names:
        if len(sections[n].lines) > 1:
            named[n] = [sections[n]]
    for _, sec in carriers:
        heading = sec.lines[0][0]
        for key in ("history", "corp_info", "available_info"):
            if heading in _HEADINGS[key]:
                named.setdefault(key, []).append(sec)
    for kind, text in loose:
        options = [sec for key in _DISTRACTOR_HOMES[kind] for sec in named.get(key, [])]
        sec = r.choice(options or [first])
        # After the section heading; in the opening, after the overview heading and the intro paragraph.
        lo = len(opening) + 2 if sec is first else 1
        sec.lines.insert(r.randint(min(lo, len(sec.lines)), len(sec.lines)), (text, frozenset()))

    # Insert carriers at the section boundary closest to their target depth.
    ordered: list[_Section] = [first] + body + closing
    for target, sec in sorted(carriers, key=lambda c: c[0]):
        sizes = [s.size for s in ordered]
        grand = sum(sizes) + sec.size
        pos, cum = len(ordered), 0
        for i, size in enumerate(sizes):
            cum += size
            if cum / grand >= target:
                pos = i + 1
                break
        ordered.insert(pos, sec)
    lines = [ln for s in ordered for ln in s.lines]
    return lines, truth, distractor_kinds


def _check_filing(lines: list[_Line], truth: dict[str, str | None], company: str) -> str | None:
    """A problem description, or None when every truth value is stated in a fact line and nowhere else."""
    kinds = {k: QUESTIONS[k].kind for k in QUESTION_KEYS}
    for key in QUESTION_KEYS:
        value = truth[key]
        if value is None:
            continue
        kind = kinds[key]
        allowed = {k for k in QUESTION_KEYS if truth[k] == value and kinds[k] == kind}
        if kind == "state":
            code = STATE_CODES[value]
            must = [re.compile(rf"(?<!\w){re.escape(value)}(?!\w)"),
                    re.compile(rf"(?<=[a-z], ){code}(?= \d{{5}}|[.,])")]
            west = r"(?<!West )(?<!WEST )" if value == "Virginia" else ""  # "West Virginia" is another state
            broad = [re.compile(rf"(?<![A-Za-z]){west}{re.escape(value)}(?![A-Za-z])", re.I),
                     re.compile(rf"(?<![A-Za-z]){code}(?![A-Za-z])")]
        elif kind == "year":
            must = broad = [re.compile(rf"(?<!\d){value}(?!\d)")]
        else:
            n = int(value)
            must = [re.compile(_word_boundary(f) if " " not in f else rf"(?<![\d.]){re.escape(f)}")
                    for f in _count_surface(n)]
            broad = [re.compile(rf"(?<!\d){re.escape(f)}(?!\d)") if " " not in f
                     else re.compile(rf"(?<![\d.]){re.escape(f.split()[0])}\s+{f.split()[1]}", re.I)
                     for f in _count_surface(n)]
        stated = False
        for text, tags in lines:
            if tags & allowed:
                if key in tags and any(p.search(text) for p in must):
                    stated = True
                continue
            if any(p.search(text) for p in broad):
                return f"{key} value {value!r} also occurs outside its fact lines: {text[:120]!r}"
        if not stated:
            return f"{key} value {value!r} is not stated in its fact line"
    if any(s.lower() in company.lower() for s in STATE_CODES):
        return f"company name {company!r} contains a state name"
    return None


def _company_names(rng: random.Random, n: int) -> list[tuple[str, str, int]]:
    """n distinct invented (full name, short name, industry index) triples."""
    out: list[tuple[str, str, int]] = []
    seen: set[str] = set()
    deck: list[int] = []
    while len(out) < n:
        if not deck:
            deck = list(range(len(_INDUSTRIES)))
            rng.shuffle(deck)
        ind_i = deck[-1]
        short = rng.choice(_STEMS) + rng.choice(_ENDINGS)
        if short in seen or any(s.lower() in short.lower() for s in STATE_CODES):
            continue
        deck.pop()
        seen.add(short)
        word = rng.choice(_INDUSTRIES[ind_i].name_words)
        out.append((f"{short} {word} {rng.choice(_SUFFIXES)}", short, ind_i))
    return out


def _deck(rng: random.Random, items: Sequence[str], n: int) -> list[str]:
    """n items cycling through shuffled copies of ``items`` (every item appears once per cycle)."""
    out: list[str] = []
    while len(out) < n:
        cycle = list(items)
        rng.shuffle(cycle)
        out.extend(cycle)
    return out[:n]


def generate_filings(
    n_filings: int = DEFAULT_N_FILINGS,
    seed: int = DEFAULT_SEED,
    *,
    min_tokens: int = 1000,
    max_tokens: int = 20000,
    absent_rate: float = 0.12,
) -> list[SyntheticFiling]:
    """Generate the filings in memory (deterministic in all arguments).

    Lengths are spread log-uniformly over [min_tokens, max_tokens] (4 characters per token) with one
    filing per stratum, so every corpus covers the whole range. ``absent_rate`` is the share of filings
    with one fact absent or not derivable (empty CSV cell).
    """
    if n_filings < 1:
        raise ValueError(f"n_filings must be at least 1, got {n_filings}")
    if not 200 <= min_tokens <= max_tokens:
        raise ValueError(f"need 200 <= min_tokens <= max_tokens, got {min_tokens}, {max_tokens}")
    if not 0.0 <= absent_rate <= 1.0:
        raise ValueError(f"absent_rate must lie in [0, 1], got {absent_rate}")
    rng = random.Random(f"synthetic-10k:{GENERATOR_VERSION}:{seed}:{n_filings}")
    lo, hi = math.log(min_tokens), math.log(max_tokens)
    lengths = [math.exp(lo + (hi - lo) * (i + rng.random()) / n_filings) for i in range(n_filings)]
    rng.shuffle(lengths)
    names = _company_names(rng, n_filings)
    ciks = rng.sample(range(9_000_001, 9_999_999), n_filings)  # above every real CIK in use today
    years = [rng.randint(2015, 2024) for _ in range(n_filings)]
    decks = {
        "inc": _deck(rng, INC_STYLES, n_filings), "hq": _deck(rng, HQ_STYLES, n_filings),
        "emp": _deck(rng, EMP_STYLES, n_filings), "inc_state_cat": _deck(rng, _INC_STATE_DECK, n_filings),
        "inc_depth": _deck(rng, DEPTHS, n_filings), "hq_depth": _deck(rng, DEPTHS, n_filings),
        "emp_depth": _deck(rng, DEPTHS, n_filings),
    }
    n_absent = round(absent_rate * n_filings)
    absent_rows = set(rng.sample(range(n_filings), n_absent))
    absent_deck = iter(_deck(rng, ABSENT_KINDS, n_absent))
    absent_of = {i: next(absent_deck) for i in sorted(absent_rows)}

    filings: list[SyntheticFiling] = []
    for i in range(n_filings):
        company, short, ind_i = names[i]
        plan = {k: v[i] for k, v in decks.items()}
        plan["absent"] = absent_of.get(i, "none")
        fy = years[i] - 1
        target = int(lengths[i] * CHARS_PER_TOKEN)
        for attempt in range(_MAX_ATTEMPTS):
            frng = random.Random(f"filing:{seed}:{i}:{attempt}")
            ctx = _Ctx(frng, _INDUSTRIES[ind_i], company, short, fy)
            lines, truth, kinds = _build_filing(ctx, plan, target)
            problem = _check_filing(lines, truth, company)
            if problem is None:
                break
        else:
            raise RuntimeError(f"filing {i} ({company}): no valid draw in {_MAX_ATTEMPTS} attempts: "
                               f"{problem}")
        texts = [t.strip() for t, _ in lines if t.strip()]
        kept = [(t.strip(), tags) for t, tags in lines if t.strip()]
        section_1 = "\n".join(texts)
        offsets, pos = [], 0
        for t in texts:
            offsets.append(pos)
            pos += len(t) + 1
        fact_lines = {k: tuple(j for j, (_, tags) in enumerate(kept) if k in tags) for k in QUESTION_KEYS}
        depth_of = {k: offsets[v[0]] / max(len(section_1), 1) for k, v in fact_lines.items() if v}
        styles = {"inc": plan["inc"], "hq": plan["hq"], "emp": plan["emp"], "absent": plan["absent"]}
        cik = str(ciks[i])
        filings.append(SyntheticFiling(
            filename=f"{cik}_{years[i]}.htm", cik=cik, year=str(years[i]), company=company,
            section_1=section_1,
            truth=truth, styles=styles, fact_lines=fact_lines, fact_depth=depth_of, distractors=tuple(kinds),
        ))
    return filings


# ---------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------
def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file in the same folder, then rename it over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _depth_bucket(x: float) -> str:
    return "early" if x < 1 / 3 else ("middle" if x < 2 / 3 else "late")


def _readme(filings: Sequence[SyntheticFiling], seed: int, settings: dict[str, object]) -> str:
    n = len(filings)
    chars = sorted(len(f.section_1) for f in filings)
    tokens = [c / CHARS_PER_TOKEN for c in chars]
    lines = [
        "# SYNTHETIC 10-K Item 1 corpus",
        "",
        "**This corpus is SYNTHETIC.** The companies are fictional and the texts are generated from "
        "templates by",
        "`data/synthetic.py`; they are not SEC filings and no text was copied from one. Every person, "
        "address,",
        "product and number is invented, and the CIKs (9,000,001 and up) lie above every real CIK in use. "
        "The",
        "corpus exists so the tool can be demonstrated and tested without shipping real filings.",
        "",
        f"- generator: `data/synthetic.py` version {GENERATOR_VERSION}",
        f"- seed: {seed}",
        f"- filings: {n}; settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()),
        f"- regenerate: `python -m harness synthetic --out <dir> --n {n} --seed {seed}` (byte-identical output)",
        "",
        "## Files",
        "",
        "| file | content |",
        "| --- | --- |",
        "| `corpus.jsonl` | one filing per line, EDGAR-CORPUS form: `filename` (`{cik}_{year}.htm`), `cik`, "
        "`year`, `section_1` (one paragraph or heading per line) |",
        "| `ground_truth.csv` | `" + ",".join(GT_COLUMNS) + "`; full state names, 4-digit year, "
        "plain integer count; empty cell = the text does not state that fact in an acceptable way |",
        "",
        "## Counts",
        "",
        "| question | CSV column | stated (non-empty) | empty | early / middle / late (first statement) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key in QUESTION_KEYS:
        stated = [f for f in filings if f.truth[key] is not None]
        buckets = {d: 0 for d in DEPTHS}
        for f in stated:
            buckets[_depth_bucket(f.fact_depth[key])] += 1
        lines.append(f"| `{key}` | `{QUESTIONS[key].column}` | {len(stated)} | {n - len(stated)} | "
                     f"{buckets['early']} / {buckets['middle']} / {buckets['late']} |")
    absent = [f.styles["absent"] for f in filings if f.styles["absent"] != "none"]
    lines += [
        "",
        f"- `section_1` length in characters: min {chars[0]:,}, median {int(statistics.median(chars)):,}, "
        f"max {chars[-1]:,}, total {sum(chars):,}",
        f"- approximate tokens (characters / {CHARS_PER_TOKEN}): min {tokens[0]:,.0f}, "
        f"median {statistics.median(tokens):,.0f}, max {tokens[-1]:,.0f}",
        "- filings with a fact absent or not derivable: " + (
            ", ".join(f"{k} {absent.count(k)}" for k in ABSENT_KINDS if absent.count(k)) or "none"),
        "- incorporation states: " + _tally(f.truth["inc_state"] for f in filings),
        "- headquarters states: " + _tally(f.truth["hq_state"] for f in filings),
        "",
        "## How the facts are written",
        "",
        "Incorporation: " + ", ".join(INC_STYLES) + ". Headquarters: " + ", ".join(HQ_STYLES)
        + ". Employees: " + ", ".join(EMP_STYLES)
        + ". Distractors (other states, years and head-counts): subsidiaries "
                                  "incorporated "
        "elsewhere, acquisitions, founding years, former parents, facilities and segment head offices in "
        "other states, a large customer's headquarters, layoffs, segment and union head-counts, "
        "contractors, hires, prior-year counts. Rows with an empty cell state the fact only in a form the "
        "ground truth does not accept (year without state, state with a founding year only, a "
        "reincorporation, full-time and part-time counts without a total, full-time equivalents, \"based "
        "in\"), or not at all.",
        "",
    ]
    return "\n".join(lines)


def _tally(values: object) -> str:
    counts: dict[str, int] = {}
    for v in values:  # type: ignore[attr-defined]
        label = v or "(empty)"
        counts[label] = counts.get(label, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def generate_corpus(
    out_dir: str | os.PathLike[str],
    n_filings: int = DEFAULT_N_FILINGS,
    seed: int = DEFAULT_SEED,
    *,
    min_tokens: int = 1000,
    max_tokens: int = 20000,
    absent_rate: float = 0.12,
) -> GeneratedCorpus:
    """Generate the synthetic corpus and write corpus.jsonl, ground_truth.csv and README.md atomically."""
    filings = generate_filings(n_filings, seed, min_tokens=min_tokens, max_tokens=max_tokens,
                               absent_rate=absent_rate)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = "".join(
        json.dumps({"filename": f.filename, "cik": f.cik, "year": f.year, "section_1": f.section_1},
                   ensure_ascii=False) + "\n"
        for f in filings
    )
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(GT_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for f in filings:
        writer.writerow(f.csv_row())
    settings = {"min_tokens": min_tokens, "max_tokens": max_tokens, "absent_rate": absent_rate}
    paths = (out / "corpus.jsonl", out / "ground_truth.csv", out / "README.md")
    for path, text in zip(paths, (jsonl, buf.getvalue(), _readme(filings, seed, settings)), strict=True):
        _write_atomic(path, text)
    chars = sorted(len(f.section_1) for f in filings)
    return GeneratedCorpus(
        out_dir=out, corpus_path=paths[0], ground_truth_path=paths[1], readme_path=paths[2], seed=seed,
        n_filings=n_filings, generator_version=GENERATOR_VERSION,
        n_stated={k: sum(f.truth[k] is not None for f in filings) for k in QUESTION_KEYS},
        n_chars=(chars[0], int(statistics.median(chars)), chars[-1]), filings=tuple(filings),
    )
