"""Prose of the synthetic filings: sentence templates per section, headings, and the order of sections.

Every template was written for this generator. ``{placeholder}`` fields are filled per filing by
:meth:`data.synthetic.context.FilingContext.fill` from the filing's industry vocabulary and numbers.
"""

from __future__ import annotations

import re

# Phrases that templates insert through {strength}, {strategy} and {driver}.
STRENGTHS = ("long-standing customer relationships", "a broad and differentiated portfolio",
             "scale in purchasing and distribution", "an experienced management team",
             "proprietary {tech} capabilities", "a reputation for quality and reliability",
             "a disciplined approach to capital allocation", "a flexible, low-cost operating model",
             "a strong balance sheet", "deep expertise in {market} markets")
STRATEGIES = ("investing in {tech}", "growing our share with {customer}",
              "pursuing disciplined acquisitions", "improving margins through operational excellence",
              "expanding our offering of {product}", "strengthening {channel}",
              "entering adjacent {market} markets", "returning capital to shareholders")
DRIVERS = ("population growth", "infrastructure investment", "increasing regulation",
           "the shift to digital channels", "an aging population", "consumer preferences for convenience",
           "rising energy costs", "the need for productivity gains")

POOLS: dict[str, tuple[str, ...]] = {
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
FIXED_PLACEHOLDERS = frozenset({"fy", "fy_prev", "co", "sites", "work", "domain", "ticker", "exchange"})
VARIABLE_TEMPLATES = frozenset(t for pool in POOLS.values() for t in pool
                               if set(re.findall(r"\{(\w+)\}", t)) - FIXED_PLACEHOLDERS)
HEADINGS: dict[str, tuple[str, ...]] = {
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
HC_SUBHEADINGS = ("Compensation and Benefits", "Health and Safety", "Training and Development",
                  "Culture and Engagement", "Diversity, Equity and Inclusion")
# Sections that may fill a filing up to its target length, in the order they appear.
FILLER_ORDER = ("strategy", "products", "customers", "sales", "competition", "suppliers", "operations",
                "quality", "rnd", "ip", "international", "regulation", "environmental", "security",
                "seasonality", "backlog", "sustainability")
# Topics of the per-segment subsections ("Products" of one segment, ...).
SEGMENT_TOPICS = ("products", "customers", "competition", "operations", "sales")
# Pools rich in placeholders: they take the extra paragraphs once every pool is used up.
LARGE_POOLS = ("products", "customers", "competition", "operations", "sales", "regulation", "strategy")
