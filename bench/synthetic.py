"""Synthetic customers for benchmarking custom vocabulary models.

    python -m bench.synthetic [--force]

A customer uploads text (here: `train_texts`, made-up historical call transcripts) and the
model built from it must then recognise the customer's rare TERMS in audio. Six customers
(devops, pharmacy, brands, insurance; vet, a veterinary practice written on 2026-12-05 as a
customer no choice had yet seen; and freight, a freight forwarder written on 2026-12-07 for the
same reason once vet had been read) each have 30-32 hand-written terms that a generic
recogniser gets wrong, about 80 training sentences, 55 test clips (40 with terms, 15 without)
spoken by espeak-ng in rotating voices and degraded with sox (pink noise, telephone band),
the same clips joined into 2.5-4 minute recordings, and 970 DISTRACTORS: domain-looking
phrases that are none of the terms, for vocabulary lists padded the way real ones are.

Everything is derived from fixed seeds and written once into
$HARK_BENCH_CACHE/synthetic/<customer>/ (default ~/.cache/hark-bench), never into the repo.
A `done.json` stamp carries VERSION; bump it after changing anything here to regenerate.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import shlex
import shutil
import subprocess
import tempfile
import time
import wave
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

VERSION = 2
CUSTOMERS: tuple[str, ...] = ("devops", "pharmacy", "brands", "insurance", "vet", "freight")

TRAIN_SENTENCES = 80
TERM_CLIPS = 40
TERM_PAIR_CLIPS = 10  # of the 40, how many carry two terms
PLAIN_CLIPS = 15
DISTRACTORS = 970
RARE_DISTRACTORS = 320  # of the 970, how many are rare real English words

# espeak-ng voices present in the stock install; rotated clip by clip. en-029, en+f4 and
# en-gb-scotland were tried and left out: through the telephone band Whisper tiny.en lost
# 35-50 % of their ordinary words, against 20-30 % for these.
VOICES = ("en-us", "en-gb", "en-us+f3", "en-gb-x-rp+m3", "en-us+f2", "en-us+m3", "en-gb-x-rp")
SPEED_WPM = (140, 175)
SNR_DB = (15.0, 25.0)
NOISY_SHARE = 0.5
PHONE_SHARE = 1 / 3
LEAD_IN_SHARE = 0.6
PAD_S = 0.3
PAUSE_S = (0.5, 1.0)
LONG_TARGET_S = 195.0  # aim for the middle of 2.5-4 minutes
LONG_RANGE_S = (150.0, 240.0)
ESPEAK_RATE = 22050
RATE = 16000
WORKERS = 2


@dataclass(frozen=True)
class SyntheticClip:
    id: str
    audio: Path
    text: str
    terms: tuple[str, ...]  # terms spoken in it (may be empty)


@dataclass(frozen=True)
class Customer:
    name: str
    terms: tuple[str, ...]
    distractors: tuple[str, ...]
    train_texts: tuple[str, ...]
    clips: tuple[SyntheticClip, ...]
    long_recordings: tuple[SyntheticClip, ...]


# ---------------------------------------------------------------------------------------------
# Hand-written material. Each domain has its terms (term -> kind), how espeak should say the
# ones it would otherwise mangle, and two disjoint template sets: TRAIN (the uploaded
# transcripts) and TEST (the clips), so no test sentence can ever appear in the training text.
# One-term templates are keyed by kind; "pair" templates take {a} and {b}; "plain" lines have
# no term.


@dataclass(frozen=True)
class _Domain:
    terms: dict[str, str]
    say: dict[str, str]
    train: dict[str, tuple[str, ...]]
    test: dict[str, tuple[str, ...]]


_PHARMACY = _Domain(
    terms={t: "drug" for t in (
        "atorvastatin", "rosuvastatin", "Xarelto", "Eliquis", "apixaban", "rivaroxaban",
        "empagliflozin", "dapagliflozin", "Jardiance", "Farxiga", "Ozempic", "semaglutide",
        "Mounjaro", "tirzepatide", "Trulicity", "metoprolol", "lisinopril", "losartan",
        "amlodipine", "hydrochlorothiazide", "Entresto", "sacubitril", "pantoprazole",
        "levothyroxine", "gabapentin", "escitalopram", "sertraline", "clopidogrel",
        "montelukast", "Humira", "adalimumab", "methotrexate",
    )},
    say={"Ozempic": "Oh zempic", "Xarelto": "Zarelto", "Farxiga": "Far see ga",
         "Jardiance": "Jar dee ance", "Eliquis": "Eli kwiss", "Humira": "Hew meera"},
    train={
        "drug": (
            "I'm calling because my {a} refill still shows as pending on the app.",
            "We had {a} on your profile from the previous pharmacy, is that still current?",
            "The doctor switched me over to {a} about a month ago.",
            "Your insurance wants a prior authorization before we can dispense {a}.",
            "I just want to check whether {a} can be taken with grapefruit juice.",
            "We can order {a} in today and it should be ready tomorrow afternoon.",
            "My mum has been on {a} for years and the pharmacist said to ask you.",
            "The copay for {a} went up this quarter, can you tell me why?",
            "Let me pull up the record, I see {a} listed twice here.",
            "She left a voicemail about a missed dose of {a} yesterday.",
            "We're out of stock on {a} at this location but the branch on Main Street has it.",
            "The label on the {a} bottle is smudged and I can't read the dose.",
            "Could you transfer my {a} prescription to the store near my work?",
            "There's a manufacturer coupon for {a} that might lower the cost.",
            "I had some dizziness after starting {a}, is that normal?",
        ),
        "pair": (
            "The cardiologist added {a} and kept the {b} at the same dose.",
            "He takes {a} in the morning and {b} at night.",
            "We flagged an interaction between {a} and {b} on the profile.",
            "Her plan covers {a} but not {b} without an appeal.",
            "I was told {a} replaces {b}, so should I stop the old one?",
            "Both {a} and {b} are due for refill on Friday.",
        ),
        "plain": (
            "Thank you for calling the pharmacy help line, how can I help today?",
            "Can I get your date of birth to verify the account?",
            "Okay, I'll put you on a brief hold while I check with the pharmacist.",
            "The drive through window closes at nine on weekdays.",
            "Sorry about the wait, we're a bit short staffed this morning.",
        ),
    },
    test={
        "drug": (
            "Good morning, I'd like to ask about the price of {a} for a ninety day supply.",
            "The nurse told me to keep taking {a} until the follow up visit.",
            "Is there a generic version of {a} that my plan would cover?",
            "I picked up {a} yesterday but they gave me the wrong strength.",
            "Please make a note that the patient stopped {a} last week.",
            "Can you confirm the pharmacy received the new script for {a}?",
            "My father gets a rash whenever he takes {a}.",
            "We need the prescriber to call us back about {a} before we fill it.",
            "How long should I wait after a meal before I take {a}?",
            "The refill request for {a} was sent to the doctor this morning.",
            "I'm travelling next month and need an early supply of {a}.",
            "The specialist wants to know how long you have been on {a}.",
        ),
        "pair": (
            "Can {a} be taken at the same time as {b}, or should I space them out?",
            "Her list shows {a} and {b}, and both were filled last month.",
            "The doctor stopped {a} and started {b} instead.",
            "We have {a} ready for pickup, but {b} is still on order.",
            "Do I take the {a} before or after the {b}?",
            "The new plan covers {a}, and {b} needs a prior authorization.",
        ),
        "plain": (
            "My prescription label has the wrong doctor's name on it.",
            "Can someone call me back when the pharmacist is free?",
            "I'd like to set up automatic refills for my regular medicine.",
            "The pills look a different colour from the ones I had before.",
            "Do you deliver to care homes in the north of the city?",
        ),
    },
)

_DEVOPS = _Domain(
    terms={t: "tool" for t in (
        "Kubernetes", "kubectl", "Terraform", "Terragrunt", "Grafana", "Argo CD", "Prometheus",
        "Thanos", "Istio", "Ansible", "Kustomize", "Helmfile", "etcd", "CoreDNS", "Cilium",
        "Fluentd", "Karpenter", "Crossplane", "Traefik", "HAProxy", "nginx", "PagerDuty",
        "OpenTelemetry", "Jaeger", "Kafka", "Elasticsearch", "Kibana", "Pulumi", "Tekton",
        "Velero", "Kyverno", "containerd",
    )},
    say={"kubectl": "cube control", "etcd": "et see dee", "nginx": "engine x",
         "HAProxy": "H A proxy", "Kustomize": "customize", "containerd": "container dee",
         "Fluentd": "fluent dee", "CoreDNS": "core D N S", "Argo CD": "Argo C D",
         "Traefik": "traffic", "PagerDuty": "pager duty", "OpenTelemetry": "open telemetry",
         "Istio": "is tee oh", "Helmfile": "helm file", "Karpenter": "carpenter",
         "Jaeger": "yay ger", "Velero": "veh lair oh", "Pulumi": "poo loo mee",
         "Kibana": "key banna", "Kyverno": "kai verno", "Thanos": "than oss"},
    train={
        "tool": (
            "So during the incident last night {a} was the first thing that fell over.",
            "I opened a ticket because our {a} setup started throwing timeouts after the upgrade.",
            "We are still pinned to an old version of {a} because of the migration.",
            "Can somebody own the {a} upgrade for the next sprint?",
            "The runbook says to check {a} before paging the database team.",
            "I paired with Sam yesterday and we rewrote the {a} config from scratch.",
            "Honestly {a} has been pretty stable since we moved it to the new cluster.",
            "There's a pull request open that bumps {a} to the latest release.",
            "Our staging environment uses {a} but production doesn't yet.",
            "The alert fired because {a} ran out of memory on two nodes.",
            "Let's add {a} to the agenda for the architecture review.",
            "I think the cost spike came from {a} scaling up over the weekend.",
            "The vendor call about {a} licensing got moved to Thursday.",
            "We need better documentation for how {a} is deployed.",
            "Rolling back {a} fixed it, but we still don't know the root cause.",
        ),
        "pair": (
            "We wired {a} into {b} so the dashboards pick it up automatically.",
            "The plan is to replace {a} with {b} by the end of the quarter.",
            "When {a} restarted, {b} lost its connection for about five minutes.",
            "I'd rather debug {a} first and leave {b} alone for now.",
            "The team wants {a} and {b} managed from the same repository.",
            "Last time {a} broke, {b} was the only place we saw the errors.",
        ),
        "plain": (
            "Okay, let's get started, I think everyone from the platform team is here.",
            "Can you share your screen so we can all see the graph?",
            "I'll write up the action items and post them in the channel.",
            "We should probably timebox this to ten more minutes.",
            "Does anyone have a hard stop at the top of the hour?",
        ),
    },
    test={
        "tool": (
            "Can you walk me through how {a} is configured in the production account?",
            "The customer says {a} stopped reporting metrics around midnight.",
            "We're evaluating whether {a} is worth the operational overhead.",
            "Please don't restart {a} until the backup has finished.",
            "The new hire is going to shadow me on the {a} work this week.",
            "I found a known bug in {a} that matches exactly what we are seeing.",
            "Our security review flagged the way {a} handles secrets.",
            "Who approved the change to {a} that went out on Friday?",
            "We should load test {a} before the holiday traffic arrives.",
            "It turns out {a} was pointing at the wrong region the whole time.",
            "I'd like a short demo of {a} for the support engineers.",
            "The upgrade notes for {a} mention a breaking change in the defaults.",
        ),
        "pair": (
            "We send the logs from {a} to {b} and keep them for thirty days.",
            "Is {a} compatible with the version of {b} we are running?",
            "After the outage we moved {a} behind {b} for extra safety.",
            "The diagram shows {a} talking to {b}, but that link was removed.",
            "Could you check {a} first, and then look at {b} if nothing shows up?",
            "Both {a} and {b} need new certificates before the end of the month.",
        ),
        "plain": (
            "Let's pick this up again after lunch when everyone is back.",
            "The on call engineer is going to join the bridge in a minute.",
            "I'm sharing the timeline document in the chat right now.",
            "Nothing has changed on our side since the last deployment window.",
            "Can we agree on a time for the follow up meeting next week?",
        ),
    },
)

_BRANDS = _Domain(
    terms={t: "product" for t in (
        "Zentrova", "Quillmark Pro", "Vexaline", "Lumiora", "Corvanta", "Nuvessa", "Orbelle",
        "Kestrova", "Mirabond", "Sollenta", "Pexiform", "Altavine", "Velquist", "Zaraphine",
        "Trevanta Max", "Kalivo", "Drayfield Home", "Fernwick Outdoor", "Ombrello Air",
        "Brivana", "Tessaloom", "Quantello", "Jovira", "Halcyra", "Marovique", "Strellix",
        "Pontavo", "Dunmere Kids", "Savorio", "Ryvolta", "Glimmora", "Zephyrine Lite",
    )},
    say={"Marovique": "Marro veek", "Halcyra": "Hal seer a", "Zaraphine": "Zarra feen",
         "Zephyrine Lite": "Zeffer een Lite", "Tessaloom": "Tessa loom", "Velquist": "Vell kwist"},
    train={
        "product": (
            "I ordered the {a} set online and only half of it arrived.",
            "The {a} range is back in stock at most of our stores.",
            "Customers keep asking whether {a} comes in a larger size.",
            "I returned a {a} order last week and haven't seen the refund.",
            "We've had a few complaints about the {a} packaging being damaged.",
            "The {a} promotion ends on Sunday, so the discount won't apply after that.",
            "My sister recommended {a} and I wanted to know where to buy it.",
            "Our warehouse shows twelve units of {a} reserved for click and collect.",
            "The instructions that came with {a} are missing a page.",
            "Is the {a} warranty one year or two years?",
            "I bought {a} as a gift and need a receipt without prices.",
            "The colour of {a} on the website looks different in person.",
            "We can exchange the {a} for a different model if you prefer.",
            "The {a} delivery was left with a neighbour without my permission.",
            "Can I still use my loyalty points on {a}?",
        ),
        "pair": (
            "The {a} bundle used to include {b}, but that changed in the spring.",
            "I was charged for {a} and {b} even though I only ordered one.",
            "Shoppers who buy {a} often pick up {b} at the same time.",
            "We discontinued {a}, and {b} is the closest replacement.",
            "The store had {a} on the shelf but no {b} at all.",
            "My order number covers {a}, and {b} was sent separately.",
        ),
        "plain": (
            "Thanks for calling customer care, who am I speaking with today?",
            "Can you read me the order number from the confirmation email?",
            "I can see the parcel left our depot yesterday evening.",
            "Our returns window is thirty days from the delivery date.",
            "I'll email you a prepaid returns label in the next hour.",
        ),
    },
    test={
        "product": (
            "Hello, I'm calling to check on the delivery date for my {a} order.",
            "Does the {a} come with batteries or do I need to buy them separately?",
            "The {a} I bought last month has stopped working completely.",
            "Could you tell me if {a} is available in the city centre store?",
            "I'd like to cancel the {a} before it is dispatched.",
            "We have a recall notice for certain batches of {a}.",
            "Is there a student discount on {a} this term?",
            "The reviews for {a} were great, but mine arrived scratched.",
            "Can I collect {a} from the store instead of having it delivered?",
            "My account shows {a} as delivered, but nothing came.",
            "How do I register {a} for the extended guarantee?",
            "The price of {a} dropped the day after I paid for it.",
        ),
        "pair": (
            "Is {a} the same product as {b} with a different name?",
            "I'd like to swap {a} for {b} and pay the difference.",
            "The parcel contained {a} but the invoice says {b}.",
            "Will {a} fit together with my {b} from last year?",
            "You can get {a} half price when you buy {b} this weekend.",
            "Both {a} and {b} were missing from the box when I opened it.",
        ),
        "plain": (
            "The courier said he knocked, but nobody came to the door.",
            "I'd like a refund to the original card, not store credit.",
            "Could you put a note on the order that the gate code changed?",
            "I've attached the photos to the email I sent this morning.",
            "The parcel tracking page has not updated since Tuesday.",
        ),
    },
)

_INSURANCE_PRODUCTS = (
    "Harbourline Shield", "Harbourline Drive", "Harbourline Nest", "Tidewell Guard",
    "Keystride Cover", "Ashgrove Secure", "Meridane Life", "Brackenmoor Assist",
    "Saltmarsh Fleet", "Quayside Pet",
)
_INSURANCE_JARGON = (
    "subrogation", "indemnification", "actuarial", "coinsurance", "reinsurer", "bordereau",
    "cedent", "retrocession", "uberrimae fidei", "ex gratia", "contra proferentem",
)
_INSURANCE_PEOPLE = (
    "Ngozi Adebayo", "Siobhan Kavanagh", "Oluwaseun Okafor", "Priyanka Raghunathan",
    "Wojciech Brzezinski", "Xiomara Castellanos", "Thandiwe Mokoena", "Eilidh MacLeod",
    "Tadhg Brennan", "Anneliese Vandenberghe", "Kwabena Asante",
)
_INSURANCE = _Domain(
    terms={**{t: "product" for t in _INSURANCE_PRODUCTS}, **{t: "jargon" for t in _INSURANCE_JARGON},
           **{t: "person" for t in _INSURANCE_PEOPLE}},
    say={"Siobhan Kavanagh": "Shivawn Kavanagh", "Eilidh MacLeod": "Ailee MacLoud",
         "Tadhg Brennan": "Tige Brennan", "Wojciech Brzezinski": "Voy check Bzheh zhinski",
         "Xiomara Castellanos": "See oh mara Castellanos", "Ngozi Adebayo": "N gozi Adday bye oh",
         "Oluwaseun Okafor": "Oloo wa shay oon Okafor", "cedent": "seedent",
         "bordereau": "bordero", "uberrimae fidei": "oober rimmy fiday", "Quayside Pet": "Keyside Pet",
         "Thandiwe Mokoena": "Tan dee way Mokoena"},
    train={
        "product": (
            "You're currently on {a}, which covers accidental damage as standard.",
            "I want to upgrade from the basic plan to {a} at renewal.",
            "The {a} policy documents were posted out yesterday.",
            "Your {a} premium went up because of the change of address.",
            "We can add that to your {a} policy for a small fee.",
            "Is {a} still available for new customers?",
        ),
        "jargon": (
            "The claims handler mentioned {a} and I didn't understand what it meant.",
            "There's a clause on {a} in section four of the wording.",
            "Our legal team raised {a} during the review of this claim.",
            "Can you explain what {a} means for my payout?",
            "The training module on {a} is mandatory for new handlers.",
        ),
        "person": (
            "{a} from the claims team will call you back this afternoon.",
            "I spoke to {a} last week and was told the claim was approved.",
            "Your case has been reassigned to {a} while the adjuster is on leave.",
            "Please ask for {a} if you need to add anything to the file.",
            "{a} signed off the settlement on Monday.",
        ),
        "pair": (
            "Last time we spoke about {a}, and you mentioned {b} as well.",
            "The file has a note on {a} next to a note on {b}.",
            "I got two letters, one about {a} and another about {b}.",
            "The complaint covers {a} and also {b}, according to the log.",
        ),
        "plain": (
            "You're through to the claims line, can I take your policy number?",
            "For security, can you confirm the first line of your address?",
            "I'm just going to read you a short statement about data protection.",
            "The excess on this claim would be two hundred and fifty pounds.",
            "We'll need photos of the damage before we can go any further.",
        ),
    },
    test={
        "product": (
            "I'm thinking of switching my home policy to {a} next year.",
            "Does {a} include cover for items taken outside the house?",
            "The renewal quote for {a} is much higher than last year.",
            "Can you send me the key facts document for {a}?",
        ),
        "jargon": (
            "The letter says the claim is subject to {a}, what does that mean?",
            "Our broker asked for a note explaining the {a} position.",
            "I read the section on {a} twice and I'm still confused.",
            "The underwriter referred the file because of {a}.",
        ),
        "person": (
            "Could you put me through to {a} in the complaints department?",
            "My claim was handled by {a}, and I'd like to speak to them again.",
            "The surveyor's report was countersigned by {a}.",
            "I have an appointment with {a} on Thursday morning.",
        ),
        "pair": (
            "I need answers about {a} and {b} before Friday.",
            "The summary lists {a} together with {b}.",
            "Could someone explain {a} and {b} in simple words?",
            "My notes from the call say {a}, and after that {b}.",
        ),
        "plain": (
            "A tree came down in the storm and cracked the garage roof.",
            "The other driver gave me a different phone number at the scene.",
            "I'd like to pay the premium monthly instead of once a year.",
            "The loss adjuster is visiting the property on Wednesday.",
            "My neighbour's pipe burst and the water came through our ceiling.",
        ),
    },
)

_VET_DRUGS = (
    "Apoquel", "Bravecto", "Cytopoint", "Simparica", "NexGard", "Rimadyl", "meloxicam",
    "Convenia", "Librela", "Solensia", "Credelio", "Vetmedin", "pimobendan", "Clavamox",
)
_VET_BREEDS = ("Weimaraner", "Xoloitzcuintli", "Lagotto Romagnolo", "Schipperke", "Vizsla", "Borzoi")
_VET_CONDITIONS = ("pyometra", "leptospirosis", "brachycephalic", "giardiasis", "hyperthyroidism", "pancreatitis")
_VET_PEOPLE = ("Dr Anneliese Vogt", "Dr Kwabena Asante", "Dr Saoirse Quigley", "Dr Priyanka Raghunathan",
               "Dr Ruairi Doherty")

_VET = _Domain(
    terms={**{t: "drug" for t in _VET_DRUGS}, **{t: "breed" for t in _VET_BREEDS},
           **{t: "condition" for t in _VET_CONDITIONS}, **{t: "person" for t in _VET_PEOPLE}},
    say={"Xoloitzcuintli": "Show lo eets kweent lee", "Lagotto Romagnolo": "La gotto Roman yolo",
         "Schipperke": "Skipper key", "Vizsla": "Veezh la",
         "Dr Saoirse Quigley": "Doctor Seer sha Quigley", "Dr Ruairi Doherty": "Doctor Roory Doherty",
         "Dr Anneliese Vogt": "Doctor Anna leeza Vogt", "Dr Kwabena Asante": "Doctor Kwa bay na Asantay",
         "Dr Priyanka Raghunathan": "Doctor Pree yanka Raghoo nathan", "Cytopoint": "Sigh toe point",
         "Solensia": "So len see a", "Credelio": "Cre dell ee oh", "pimobendan": "pimo ben dan",
         "pyometra": "pie oh meetra", "giardiasis": "jee are die a sis"},
    train={
        "drug": (
            "We've started him on {a} and the itching has calmed down a lot.",
            "The vet prescribed {a} after the last check up.",
            "Can I get a repeat prescription of {a} for my dog?",
            "She had a reaction the first time we gave her {a}.",
            "The {a} is due again at the end of the month.",
            "Please give the {a} with food, once a day.",
        ),
        "breed": (
            "We have a young {a} booked in for vaccinations.",
            "My {a} is nearly nine years old now.",
            "The {a} puppy was very nervous in the waiting room.",
            "Is the {a} prone to any joint problems?",
            "A {a} came in this morning with a sore paw.",
        ),
        "condition": (
            "The blood tests ruled out {a}, which is good news.",
            "We're treating her for {a} at the moment.",
            "The surgeon explained the risks of {a} before the operation.",
            "His brother was diagnosed with {a} last spring.",
            "Can you tell me the early signs of {a}?",
        ),
        "person": (
            "{a} will see you in consulting room two.",
            "I'd like to book a follow up with {a}, please.",
            "{a} did the dental work on our cat last year.",
            "The results will be phoned through by {a} this afternoon.",
            "{a} is on call this weekend for emergencies.",
        ),
        "pair": (
            "Last visit we talked about {a}, and you also mentioned {b}.",
            "The notes mention {a} next to a line about {b}.",
            "I have questions about {a} and about {b} as well.",
            "The invoice lists {a} and then {b} underneath.",
        ),
        "plain": (
            "Good morning, you're through to the surgery, how can I help?",
            "Can I take the pet's name and your postcode, please?",
            "The nurse will weigh her before the appointment.",
            "We close at six on weekdays and at noon on Saturdays.",
            "Please keep him on a lead in the waiting area.",
        ),
    },
    test={
        "drug": (
            "Is it safe to give {a} together with his heart tablets?",
            "The pharmacy said {a} is out of stock until next week.",
            "How long does {a} take to start working?",
            "My dog won't swallow the {a} even in cheese.",
        ),
        "breed": (
            "I'm thinking of adopting a {a} from the rescue centre.",
            "Our {a} keeps scratching at her ears at night.",
            "Do you see many {a} dogs at this practice?",
            "The {a} next door barks whenever the post arrives.",
        ),
        "condition": (
            "The leaflet about {a} didn't answer all my questions.",
            "Could the vomiting be a sign of {a}?",
            "We caught the {a} early, according to the scan.",
            "What does the treatment for {a} usually cost?",
        ),
        "person": (
            "Could I speak to {a} about the test results?",
            "Our cat was seen by {a} on Tuesday evening.",
            "Is {a} working at the branch on Friday?",
            "I'd like to thank {a} for staying late with us.",
        ),
        "pair": (
            "I need to ask about {a} and {b} before the operation.",
            "The discharge sheet lists {a} together with {b}.",
            "Could someone explain {a} and {b} in plain words?",
            "My notes from the phone call say {a}, then {b}.",
        ),
        "plain": (
            "He hasn't eaten properly since yesterday lunchtime.",
            "The cat carrier broke in the car park, so we're running late.",
            "Can we pay the bill in two parts this month?",
            "She seems a bit quieter than usual after the walk.",
            "I found a tick on his neck when I was brushing him.",
        ),
    },
)

_FREIGHT_CARRIERS = ("Maersk", "Hapag-Lloyd", "Kuehne Nagel", "DB Schenker", "Flexport", "Yang Ming", "Cosco")
_FREIGHT_PORTS = ("Felixstowe", "Piraeus", "Jebel Ali", "Tanjung Pelepas", "Gdansk", "Zeebrugge", "Algeciras")
_FREIGHT_JARGON = ("demurrage", "drayage", "transshipment", "Incoterms", "bill of lading", "TEU", "cabotage",
                   "consignee", "reefer")
_FREIGHT_PEOPLE = ("Siobhan Kavanagh", "Tadeusz Wrobel", "Olumide Adeyemi", "Henrike Voss", "Rafferty Quinlan",
                   "Ngozi Eze", "Benedikt Haas")

_FREIGHT = _Domain(
    terms={**{t: "carrier" for t in _FREIGHT_CARRIERS}, **{t: "port" for t in _FREIGHT_PORTS},
           **{t: "jargon" for t in _FREIGHT_JARGON}, **{t: "person" for t in _FREIGHT_PEOPLE}},
    say={"Maersk": "Mairsk", "Hapag-Lloyd": "Hah pag Loyd", "Kuehne Nagel": "Kyoo na Nah gel",
         "DB Schenker": "D B Shenker", "Yang Ming": "Yang Ming", "Piraeus": "Pie ray us",
         "Jebel Ali": "Jebble Ah lee", "Tanjung Pelepas": "Tan joong Pella pass", "Gdansk": "Guh dansk",
         "Zeebrugge": "Zay bruggah", "Algeciras": "Al heh seeras", "Incoterms": "Inco terms", "TEU": "T E U",
         "drayage": "dray idge", "demurrage": "dee murr idge", "Tadeusz Wrobel": "Ta day oosh Vroe bel",
         "Olumide Adeyemi": "Oh loo mee day Ah day yemmy", "Siobhan Kavanagh": "Shiv awn Kavanagh",
         "Ngozi Eze": "In go zee Eh zay", "Henrike Voss": "Hen reeka Voss", "Benedikt Haas": "Benna dikt Hahss"},
    train={
        "carrier": (
            "We moved most of the Asia volume over to {a} last quarter.",
            "The booking with {a} was rolled to the next sailing again.",
            "Can you get a spot rate from {a} for two forty foot boxes?",
            "Our account manager at {a} is on leave until Monday.",
            "The {a} invoice still shows the old fuel surcharge.",
            "{a} confirmed the vessel is running about two days late.",
        ),
        "port": (
            "The vessel is berthed at {a} and discharge starts tonight.",
            "There's heavy congestion at {a} because of the strike.",
            "We usually route the European cargo through {a}.",
            "The container is sitting in the yard at {a} waiting for customs.",
            "Please update the arrival date at {a} on the tracker.",
        ),
        "jargon": (
            "The client is disputing the {a} charges on the last shipment.",
            "We need to sort out the {a} before the truck can collect.",
            "Finance asked why the {a} went up so much this month.",
            "I've attached the {a} to the email for the customs broker.",
            "Can you explain the {a} terms to the new customer?",
        ),
        "person": (
            "{a} handles the account for the furniture importer.",
            "Please copy {a} on anything about the Rotterdam bookings.",
            "{a} from the warehouse called about the missing pallets.",
            "I'll ask {a} to chase the release with the shipping line.",
            "{a} signed off the rate sheet this morning.",
        ),
        "pair": (
            "Last week we compared {a} with {b} for the same lane.",
            "The email from {a} mentions {b} twice.",
            "I have questions about {a} and about {b} as well.",
            "The quote lists {a} and then {b} underneath.",
        ),
        "plain": (
            "Good morning, freight desk, how can I help you today?",
            "Can I take the booking reference, please?",
            "The truck is booked for the early slot tomorrow.",
            "We close the warehouse at five on Fridays.",
            "The customer wants the delivery on a tail lift vehicle.",
        ),
    },
    test={
        "carrier": (
            "Has {a} given you a new date for the sailing?",
            "The rate from {a} is a lot higher than last month.",
            "I'm still waiting for {a} to release the container.",
            "Why did {a} cancel the booking without telling us?",
        ),
        "port": (
            "How long is the container going to sit at {a}?",
            "The ship skipped {a} and went straight to the next port.",
            "Do you have a haulier who can collect from {a} tomorrow?",
            "Customs at {a} want to inspect the whole shipment.",
        ),
        "jargon": (
            "Who is going to pay the {a} on this one?",
            "The customer doesn't understand why the {a} is on the invoice.",
            "Could you send me the {a} again, the scan was blurry?",
            "We got the {a} wrong on the paperwork last time.",
        ),
        "person": (
            "Could I speak to {a} about the delayed shipment?",
            "The quote was approved by {a} yesterday afternoon.",
            "Is {a} in the office on Thursday?",
            "I'd like to thank {a} for sorting out the customs hold.",
        ),
        "pair": (
            "I need to ask about {a} and {b} before we book.",
            "The delivery note lists {a} together with {b}.",
            "Could someone explain {a} and {b} in plain words?",
            "My notes from the call say {a}, then {b}.",
        ),
        "plain": (
            "The driver has been waiting at the gate for two hours.",
            "Half the cartons arrived wet and the labels are gone.",
            "Can we split the invoice between the two departments?",
            "The pallets were wrapped badly and one of them fell over.",
            "I need a proof of delivery for the insurance claim.",
        ),
    },
)

_DOMAINS: dict[str, _Domain] = {
    "pharmacy": _PHARMACY, "devops": _DEVOPS, "brands": _BRANDS, "insurance": _INSURANCE, "vet": _VET,
    "freight": _FREIGHT,
}

# Ordinary lines any call centre hears; training and test draw from separate pools.
_GENERIC_TRAIN_PLAIN = (
    "Hi, yes, I can hear you fine now.",
    "Let me just make a note of that on the system.",
    "Bear with me one second while the page loads.",
    "That's no problem at all, happy to help.",
    "Sorry, you cut out for a moment there, could you say that again?",
    "Is there anything else I can help you with today?",
    "I'll send a confirmation to the email address we have on file.",
    "Great, thanks for your patience with that.",
    "Okay, so the next step is on our side, you don't need to do anything.",
    "Perfect, I've updated that for you.",
    "Right, and what's the best time to reach you?",
    "You should get a text message within the next hour.",
)
_GENERIC_TEST_PLAIN = (
    "I'd like to update the mailing address on my account, please.",
    "What time does the office close on Sunday evening?",
    "The automated line kept hanging up on me, so I called back.",
    "Could you send a reminder text when everything is ready?",
    "I'm not sure my card went through, can you check the payment?",
    "My daughter will deal with it for me, she has the same last name.",
    "Is it possible to get the receipt emailed instead of printed?",
    "I have been waiting on hold for almost twenty minutes.",
    "We moved house last month and I never got the letter.",
    "Thank you, that answers my question, have a good afternoon.",
    "Please speak a little slower, the line is not very clear.",
    "I will call back tomorrow morning when I have the paperwork.",
    "Can you read me the reference number one more time?",
    "The website says my account is locked after too many attempts.",
    "I would rather get a paper copy sent to me by post.",
    "My husband usually handles this, but he is away this week.",
    "Can you tell me who I spoke to the last time I called?",
    "The email you sent went straight into my spam folder.",
)
# Training lines get call-transcript fillers in front; test sentences get lead-ins from a
# separate set (which also makes the 55 clips long enough for two 2.5-4 minute recordings).
_TRAIN_FILLERS = ("", "", "", "Yeah, ", "Okay so ", "Um, ", "Right, ", "Mm, so ", "Yeah no, ")
_TEST_LEAD_INS = ("Thanks for holding. ", "Sorry, one more question. ", "Hello again, it's me from earlier. ",
                  "Just so you are aware, ", "Before I forget, ", "Good afternoon. ", "Actually, ",
                  "Sorry to bother you again. ")


# ---------------------------------------------------------------------------------------------
# Term matching: lower-case word tokens; a term is found when some run of consecutive tokens
# glues into the term's own glued tokens, so spaces, hyphens and punctuation never matter.

_WORD = re.compile(r"[^\W_]+")
_LONGEST_RUN = 8


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _key(term: str) -> str:
    return "".join(_tokens(term))


def _runs(text: str) -> set[str]:
    tokens = _tokens(text)
    runs: set[str] = set()
    for i in range(len(tokens)):
        glued = ""
        for token in tokens[i:i + _LONGEST_RUN]:
            glued += token
            runs.add(glued)
    return runs


def term_recall(hypothesis: str, terms: Sequence[str]) -> tuple[int, int]:
    """(found, total): how many of the distinct `terms` occur in `hypothesis`, ignoring case,
    punctuation and hyphens/spaces inside a term ("Argo CD" = "ArgoCD" = "argo-cd")."""
    keys = list(dict.fromkeys(k for k in map(_key, terms) if k))
    runs = _runs(hypothesis)
    return sum(k in runs for k in keys), len(keys)


# ---------------------------------------------------------------------------------------------
# Text generation.


@dataclass(frozen=True)
class _Sentence:
    text: str
    spoken: str  # what espeak reads: same words, with pronunciation respellings
    terms: tuple[str, ...]


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise RuntimeError(f"bench.synthetic: {message}")


def _fill(template: str, domain: _Domain, terms: Sequence[str], prefix: str = "") -> _Sentence:
    slots = dict(zip("ab", terms))
    text = template.format(**slots)
    spoken = template.format(**{k: domain.say.get(v, v) for k, v in slots.items()})
    if prefix:
        # A term in first position keeps its own capitals.
        keep = template.startswith("{")
        text, spoken = _after_filler(prefix, text, keep), _after_filler(prefix, spoken, keep)
    return _Sentence(text, spoken, tuple(terms))


def _after_filler(prefix: str, line: str, keep_case: bool = False) -> str:
    """`line` behind a filler such as "Yeah, ": its first word lower-cased unless it is "I"."""
    if not prefix:
        return line
    first = line.split(" ", 1)[0]
    if keep_case or prefix.rstrip().endswith((".", "?", "!")) or first in ("I", "I'm", "I'd", "I'll", "I've"):
        return prefix + line
    return prefix + line[0].lower() + line[1:]


class _Rotation:
    """Templates by kind, each kind cycling through a seeded shuffle so all get used evenly."""

    def __init__(self, templates: dict[str, tuple[str, ...]], rng: random.Random) -> None:
        self._cycles: dict[str, Iterator[str]] = {}
        for kind, items in templates.items():
            order = list(items)
            rng.shuffle(order)
            self._cycles[kind] = itertools.cycle(order)

    def next(self, kind: str) -> str:
        return next(self._cycles[kind])


def _take(queue: list[str], count: int) -> list[str]:
    """Pop `count` distinct terms from the front of `queue`."""
    taken = [queue.pop(0)]
    while len(taken) < count:
        index = next(i for i, t in enumerate(queue) if t not in taken)
        taken.append(queue.pop(index))
    return taken


def _term_sentences(domain: _Domain, templates: dict[str, tuple[str, ...]], queue: list[str],
                    singles: int, pairs: int, rng: random.Random, fillers: Sequence[str]) -> list[_Sentence]:
    rotation = _Rotation(templates, rng)
    sentences: list[_Sentence] = []
    seen: set[str] = set()
    for i in range(singles + pairs):
        terms = _take(queue, 2 if i < pairs else 1)
        kind = "pair" if len(terms) == 2 else domain.terms[terms[0]]
        for _ in range(50):  # a repeated term can land on a template it already had: try the next
            sentence = _fill(rotation.next(kind), domain, terms, rng.choice(fillers))
            if sentence.text not in seen:
                break
        seen.add(sentence.text)
        sentences.append(sentence)
    return sentences


def _train_texts(name: str, domain: _Domain) -> list[str]:
    rng = random.Random(f"{name}:train")
    terms = list(domain.terms)
    plain = [*domain.train["plain"], *rng.sample(_GENERIC_TRAIN_PLAIN, 9)]
    with_terms = TRAIN_SENTENCES - len(plain)
    pairs = 16
    # Every term twice over, then a third partial round for the remaining slots.
    queue: list[str] = []
    for _ in range(3):
        queue += rng.sample(terms, len(terms))
    sentences = _term_sentences(domain, domain.train, queue, with_terms - pairs, pairs, rng, _TRAIN_FILLERS)
    lines = [s.text for s in sentences] + [_after_filler(rng.choice(_TRAIN_FILLERS), p) for p in plain]
    rng.shuffle(lines)
    return lines


def _test_sentences(name: str, domain: _Domain) -> list[_Sentence]:
    rng = random.Random(f"{name}:test")
    terms = list(domain.terms)
    # All terms once (the pairs come first, so each pair is two different terms), then repeats.
    slots = TERM_CLIPS + TERM_PAIR_CLIPS
    queue = rng.sample(terms, len(terms)) + rng.sample(terms, slots - len(terms))
    sentences = _term_sentences(domain, domain.test, queue, TERM_CLIPS - TERM_PAIR_CLIPS,
                                TERM_PAIR_CLIPS, rng, ("",))
    plain = [*domain.test["plain"], *rng.sample(_GENERIC_TEST_PLAIN, PLAIN_CLIPS - len(domain.test["plain"]))]
    sentences += [_Sentence(p, p, ()) for p in plain]
    for i in sorted(rng.sample(range(len(sentences)), round(len(sentences) * LEAD_IN_SHARE))):
        s, lead_in = sentences[i], rng.choice(_TEST_LEAD_INS)
        keep = bool(s.terms) and s.text.startswith(s.terms[0])  # a term keeps its capitals
        sentences[i] = _Sentence(_after_filler(lead_in, s.text, keep), _after_filler(lead_in, s.spoken, keep), s.terms)
    rng.shuffle(sentences)  # spreads the term-free clips through the long recordings
    return sentences


# Distractors: domain-shaped inventions plus rare real words.

def _pharmacy_candidates(rng: random.Random) -> Iterator[str]:
    stems = ("abe", "ala", "bexa", "cara", "dalo", "eno", "fexo", "gava", "halo", "ibra", "jano",
             "keto", "lora", "mira", "nexo", "olme", "pira", "quina", "rani", "seva", "tofa", "ulva",
             "vori", "zila", "bremo", "cedi", "dovi", "elu", "fino", "glato", "hexo", "ista", "lumo",
             "mepo", "nira", "orza", "pexa", "rolo", "sima", "tazo", "vela", "xeno", "zuvi")
    suffixes = ("mab", "stat", "pril", "zole", "sartan", "olol", "gliflozin", "tinib", "vir",
                "dipine", "prazole", "azepam", "cillin", "mycin", "floxacin", "dronate", "glutide",
                "parin", "lukast", "tidine", "setron", "triptan", "gliptin", "lamide", "xaban")
    onsets = ("Xa", "Zy", "Bri", "Cal", "Dex", "Ely", "Fen", "Glu", "Hy", "Ja", "Kor", "Lyv", "Mev",
              "Nor", "Opt", "Pra", "Qua", "Rex", "Syn", "Tra", "Ven", "Vy", "Zo")
    middles = ("re", "li", "ta", "ro", "vi", "ne", "qui", "mo", "da")
    ends = ("lto", "quis", "ga", "sto", "pic", "ro", "nce", "ra", "dex", "vix", "zia", "lor", "tra")
    while True:
        if rng.random() < 0.6:
            stem, suffix = rng.choice(stems), rng.choice(suffixes)
            # Drop the stem's final vowel before a vowel-initial suffix: "bexa" + "olol" -> "bexolol".
            if suffix[0] in "aeiou" and stem[-1] in "aeiou":
                stem = stem[:-1]
            yield stem + suffix
        else:
            yield rng.choice(onsets) + rng.choice(middles) + rng.choice(ends)


def _devops_candidates(rng: random.Random) -> Iterator[str]:
    heads = ("kube", "helm", "flux", "terra", "graf", "prom", "vault", "cloud", "data", "log",
             "trace", "mesh", "pod", "node", "sky", "stack", "git", "build", "ship", "dock", "infra",
             "net", "sync", "cron", "shard", "quay", "argo", "loki", "vec", "kafk", "envo")
    tails = ("ctl", "ops", "form", "ana", "flow", "scope", "forge", "lint", "hub", "let", "ward",
             "keeper", "proxy", "guard", "pilot", "sail", "dash", "beat", "mill", "tide", "berg",
             "wise", "grunt", "plane", "io", "d")
    kinds = (" CD", " CI", " DB", " Mesh", " Operator", " Agent", " Gateway", " Controller")
    while True:
        name = rng.choice(heads) + rng.choice(tails)
        roll = rng.random()
        if roll < 0.45:
            yield name
        elif roll < 0.75:
            yield name.capitalize()
        else:
            yield name.capitalize() + rng.choice(kinds)


def _brands_candidates(rng: random.Random) -> Iterator[str]:
    onsets = ("Ze", "Qui", "Lu", "Cor", "Nu", "Ve", "Ka", "Mi", "So", "Pe", "Al", "Tre", "Dra",
              "Fe", "Om", "Bri", "Te", "Quan", "Jo", "Hal", "Ma", "Stre", "Pon", "Du", "Sa", "Ry",
              "Gli", "Xa", "Lo", "Vi")
    middles = ("n", "l", "r", "v", "x", "m", "st", "th", "nt", "rv", "ll", "ss", "ph", "qu")
    ends = ("ova", "ine", "ora", "essa", "elle", "ique", "ix", "avo", "ino", "anta", "ira", "eon",
            "ara", "ella", "ivo", "enta", "oom", "ist", "oria")
    modifiers = (" Pro", " Max", " Lite", " Air", " Home", " Kids", " Plus", " Go", " Outdoor", " Mini")
    while True:
        name = rng.choice(onsets) + rng.choice(middles) + rng.choice(ends)
        yield name + rng.choice(modifiers) if rng.random() < 0.3 else name


def _insurance_candidates(rng: random.Random) -> Iterator[str]:
    places = ("Bramble", "Cobalt", "Driftwood", "Elmstead", "Foxmoor", "Glenridge", "Hollins",
              "Ironwell", "Juniper", "Kingsmead", "Larkspur", "Marlow", "Northcote", "Oakbourne",
              "Pemberton", "Redwater", "Stonebridge", "Thistledown", "Westholm", "Yarrowby",
              "Harbourline", "Tidewell", "Ashgrove", "Saltmarsh")
    products = ("Shield", "Guard", "Cover", "Secure", "Assist", "Protect", "Plus", "Life", "Home",
                "Drive", "Fleet", "Pet", "Travel", "Care", "Nest")
    firsts = ("Adaeze", "Bronagh", "Chidi", "Dervla", "Emeka", "Fionnuala", "Gintare", "Hamza",
              "Ifeoma", "Jolanta", "Kofi", "Laoise", "Mbali", "Niamh", "Obinna", "Przemek", "Roisin",
              "Saoirse", "Tendai", "Uchenna", "Vusi", "Wanjiru", "Yaw", "Zanele", "Agnieszka",
              "Bukola", "Cathal", "Dagny", "Efua", "Grainne")
    lasts = ("Okonkwo", "Mulcahy", "Nwosu", "Przybylski", "Achterberg", "Mensah", "Dlamini",
             "Fitzgerald", "Kowalczyk", "Oyelaran", "Szymanski", "Van der Merwe", "Ramaswamy",
             "Quaye", "Lindqvist", "Abernethy", "Chukwuma", "Ozturk", "Nakashima", "Featherstonehaugh",
             "Ellingsen", "Gallagher", "Murtagh", "Boateng", "Olawale", "Zielinski", "Haddad", "Iwu",
             "Jovanovic", "Keogh")
    while True:
        if rng.random() < 0.45:
            yield f"{rng.choice(places)} {rng.choice(products)}"
        else:
            yield f"{rng.choice(firsts)} {rng.choice(lasts)}"


def _vet_candidates(rng: random.Random) -> Iterator[str]:
    onsets = ("Apo", "Bra", "Cy", "Sim", "Nex", "Ri", "Con", "Li", "So", "Cre", "Vet", "Cla", "Pro", "Dera",
              "Feli", "Cani", "Equi", "Lu", "Mar", "Tor")
    middles = ("que", "vec", "to", "pa", "ga", "ma", "ve", "bre", "len", "de", "me", "vo", "ri", "ca")
    ends = ("l", "to", "point", "rica", "rd", "dyl", "nia", "la", "sia", "lio", "din", "mox", "zol", "fen")
    names = ("Anneke", "Bartholomew", "Caoimhe", "Dmitri", "Eoghan", "Folasade", "Grainne", "Hamish",
             "Ingrid", "Jolanta", "Kofi", "Lachlan", "Maeve", "Niamh", "Oisin", "Radhika", "Sunniva", "Tomasz")
    surnames = ("Achterberg", "Brannigan", "Czerwinski", "Dunleavy", "Eriksen", "Fitzmaurice", "Gallagher",
                "Holmqvist", "Iwuchukwu", "Jablonski", "Kowalczyk", "Lindqvist", "MacAulay", "Nakamura")
    while True:
        if rng.random() < 0.75:
            yield rng.choice(onsets) + rng.choice(middles) + rng.choice(ends)
        else:
            yield f"Dr {rng.choice(names)} {rng.choice(surnames)}"


def _freight_candidates(rng: random.Random) -> Iterator[str]:
    onsets = ("Mar", "Hap", "Kue", "Sche", "Flex", "Yan", "Cos", "Ever", "Zim", "Mat", "Sea", "Tra", "Nor",
              "Oce", "Pac", "Bal", "Gal", "Por", "Vel", "Stra")
    ends = ("sk", "lloyd", "nagel", "port", "line", "ming", "co", "lane", "ship", "fleet", "haul", "way",
            "mar", "tainer", "dock")
    ports = ("Koper", "Sines", "Mersin", "Gioia Tauro", "Bremerhaven", "Aarhus", "Klaipeda", "Tangier Med",
             "Port Said", "Colombo", "Laem Chabang", "Cai Mep", "Salalah", "Durban", "Lazaro Cardenas")
    firsts = ("Aoife", "Bogdan", "Chiamaka", "Dorota", "Emeka", "Fergal", "Gudrun", "Hakon", "Ilse",
              "Jarek", "Kemi", "Lorcan", "Mirela", "Nnamdi", "Orla", "Piotr", "Ragnhild", "Sven")
    lasts = ("Brannigan", "Czarnecki", "Dunne", "Eberhardt", "Falkenberg", "Grzelak", "Hennessy",
             "Ikwuemesi", "Jaworski", "Kehoe", "Lindgren", "Mbeki", "Nowicki", "Ostergaard")
    while True:
        roll = rng.random()
        if roll < 0.5:
            yield rng.choice(onsets) + rng.choice(ends)
        elif roll < 0.65:
            yield rng.choice(ports)
        else:
            yield f"{rng.choice(firsts)} {rng.choice(lasts)}"


_CANDIDATES: dict[str, Callable[[random.Random], Iterator[str]]] = {
    "pharmacy": _pharmacy_candidates, "devops": _devops_candidates,
    "brands": _brands_candidates, "insurance": _insurance_candidates, "vet": _vet_candidates,
    "freight": _freight_candidates,
}


@lru_cache(maxsize=1)
def _rare_words() -> tuple[str, ...]:
    from wordfreq import top_n_list  # slow to import; only generation needs it

    return tuple(w for w in top_n_list("en", 200000)[60000:200000] if w.isalpha() and w.isascii() and len(w) >= 6)


def _distractors(name: str, terms: Sequence[str], test_texts: Sequence[str]) -> list[str]:
    rng = random.Random(f"{name}:distractors")
    taken = {_key(t) for t in terms}
    in_tests: set[str] = set().union(*(_runs(t) for t in test_texts))
    chosen: list[str] = []

    def offer(phrase: str) -> None:
        key = _key(phrase)
        if key and key not in taken and key not in in_tests:
            taken.add(key)
            chosen.append(phrase)

    invented = _CANDIDATES[name](rng)
    for _ in range(200_000):
        if len(chosen) >= DISTRACTORS - RARE_DISTRACTORS:
            break
        offer(next(invented))
    rare = list(_rare_words())
    rng.shuffle(rare)
    for word in rare:
        if len(chosen) >= DISTRACTORS:
            break
        offer(word)
    _check(len(chosen) == DISTRACTORS, f"{name}: only {len(chosen)} distractors")
    rng.shuffle(chosen)
    return chosen


# ---------------------------------------------------------------------------------------------
# Audio.


@dataclass(frozen=True)
class _Render:
    voice: str
    speed: int
    snr_db: float | None  # None: clean
    phone: bool


def _read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as f:
        _check(f.getsampwidth() == 2 and f.getnchannels() == 1, f"{path}: expected 16-bit mono")
        return np.frombuffer(f.readframes(f.getnframes()), dtype=np.int16), f.getframerate()


def _write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(samples.astype(np.int16).tobytes())


def _duration(path: Path) -> float:
    with wave.open(str(path), "rb") as f:
        return f.getnframes() / f.getframerate()


def _active_rms(samples: np.ndarray, rate: int) -> float:
    """RMS over 20 ms frames within 30 dB of the loudest, so pauses don't dilute the level the
    SNR is set against."""
    x = samples.astype(np.float64)
    size = rate // 50
    frames = x[: len(x) // size * size].reshape(-1, size)
    power = (frames**2).mean(axis=1)
    if not len(power) or power.max() <= 0:
        return 0.0
    return math.sqrt(power[power >= power.max() * 1e-3].mean())


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    _check(done.returncode == 0, f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[:500]}")


def _noise_bank(directory: Path) -> tuple[Path, float, float]:
    """One minute of pink noise at espeak's rate, cut at a different offset for every noisy clip."""
    bank = directory / "pinknoise.wav"
    _run(["sox", "-R", "-n", "-r", str(ESPEAK_RATE), "-c", "1", "-b", "16", str(bank),
          "synth", "60", "pinknoise", "gain", "-12"])
    samples, rate = _read_wav(bank)
    return bank, _active_rms(samples, rate), len(samples) / rate


def _render_clip(sentence: _Sentence, render: _Render, out: Path, noise: tuple[Path, float, float],
                 noise_offset: float) -> None:
    with tempfile.TemporaryDirectory(prefix="hark-synth-") as tmp:
        raw = Path(tmp) / "raw.wav"
        _run(["espeak-ng", "-v", render.voice, "-s", str(render.speed), "-w", str(raw), "--stdin"],
             stdin=sentence.spoken)
        samples, rate = _read_wav(raw)
        _check(rate == ESPEAK_RATE, f"espeak-ng wrote {rate} Hz, expected {ESPEAK_RATE}")
        # Headroom on both inputs so the sum cannot clip before the final normalisation.
        inputs = ["-v", "0.7", str(raw)]
        if render.snr_db is not None:
            bank, bank_rms, bank_s = noise
            gain = _active_rms(samples, rate) / (bank_rms * 10 ** (render.snr_db / 20))
            length = len(samples) / rate
            start = noise_offset * max(0.0, bank_s - length)
            cut = f"|sox -R {shlex.quote(str(bank))} -p trim {start:.3f} {length:.3f}"
            inputs = ["-m", *inputs, "-v", f"{0.7 * gain:.6f}", cut]
        # Telephone: down to 8 kHz and back. A 300-3400 Hz band-pass on top was tried and
        # dropped: espeak's formant speech then lost about half its words in Whisper tiny.en.
        phone = ["rate", "8000"] if render.phone else []
        _run(["sox", "-R", "-D", *inputs, "-r", str(RATE), "-c", "1", "-b", "16", str(out),
              *phone, "rate", str(RATE), "pad", str(PAD_S), str(PAD_S), "gain", "-n", "-3"])


def _renders(name: str, count: int) -> tuple[list[_Render], list[float]]:
    rng = random.Random(f"{name}:audio")
    # Noise and telephone clips are drawn independently of the voice rotation, so no voice is
    # always clean or always noisy.
    noisy = set(rng.sample(range(count), round(count * NOISY_SHARE)))
    phone = set(rng.sample(range(count), round(count * PHONE_SHARE)))
    renders = [
        _Render(voice=VOICES[i % len(VOICES)], speed=rng.randint(*SPEED_WPM),
                snr_db=round(rng.uniform(*SNR_DB), 1) if i in noisy else None, phone=i in phone)
        for i in range(count)
    ]
    return renders, [rng.random() for _ in range(count)]


def _group_for_long(durations: Sequence[float], pauses: Sequence[float]) -> list[list[int]]:
    """Consecutive runs of clips, cut where the running length crosses equal shares of the total."""
    lengths = [d + p for d, p in zip(durations, pauses)]
    parts = max(1, round(sum(lengths) / LONG_TARGET_S))
    share = sum(lengths) / parts
    groups: list[list[int]] = [[]]
    elapsed = 0.0
    for i, length in enumerate(lengths):
        if elapsed + length / 2 > share * len(groups) and len(groups) < parts:
            groups.append([])
        groups[-1].append(i)
        elapsed += length
    return groups


# ---------------------------------------------------------------------------------------------
# Cache.


def cache_root() -> Path:
    return Path(os.environ.get("HARK_BENCH_CACHE") or Path.home() / ".cache" / "hark-bench") / "synthetic"


def _fresh(directory: Path) -> bool:
    try:
        stamp = json.loads((directory / "done.json").read_text())
    except (OSError, ValueError):
        return False
    return stamp.get("version") == VERSION and (directory / "manifest.json").is_file()


def _generate(name: str, directory: Path) -> float:
    """Build customer `name` into `directory`; returns the seconds it took."""
    started = time.perf_counter()
    domain = _DOMAINS[name]
    terms = list(domain.terms)
    _check(30 <= len(terms) <= 32, f"{name}: {len(terms)} terms")
    # `say` is looked up by whole term: a key that is not one is never used.
    _check(set(domain.say) <= set(terms), f"{name}: pronunciations for non-terms {set(domain.say) - set(terms)}")

    train = _train_texts(name, domain)
    tests = _test_sentences(name, domain)
    test_texts = [s.text for s in tests]
    distractors = _distractors(name, terms, test_texts)
    # The guarantees the benchmark relies on, checked rather than assumed.
    train_runs = [_runs(t) for t in train]
    for term in terms:
        uses = sum(_key(term) in runs for runs in train_runs)
        _check(uses >= 2, f"{name}: {term!r} in {uses} training sentences")
        _check(any(term in s.terms for s in tests), f"{name}: {term!r} in no test clip")
    joined_train = "\n".join(train).lower()
    _check(not any(t.lower() in joined_train for t in test_texts), f"{name}: a test sentence is in the training text")
    _check(len(set(test_texts)) == len(test_texts), f"{name}: repeated test sentence")

    (directory / "clips").mkdir(parents=True)
    (directory / "long").mkdir()
    renders, offsets = _renders(name, len(tests))
    ids = [f"{name}-{i:03d}" for i in range(len(tests))]
    with tempfile.TemporaryDirectory(prefix="hark-synth-noise-") as tmp:
        noise = _noise_bank(Path(tmp))
        with ThreadPoolExecutor(WORKERS) as pool:
            list(pool.map(lambda i: _render_clip(tests[i], renders[i], directory / "clips" / f"{ids[i]}.wav",
                                                 noise, offsets[i]), range(len(tests))))

    durations = [_duration(directory / "clips" / f"{i}.wav") for i in ids]
    rng = random.Random(f"{name}:long")
    pauses = [round(rng.uniform(*PAUSE_S), 2) for _ in ids]
    long_rows: list[dict[str, Any]] = []
    groups = _group_for_long(durations, pauses)
    for n, group in enumerate(groups):
        length = sum(durations[i] for i in group) + sum(pauses[i] for i in group[1:])
        _check(LONG_RANGE_S[0] <= length <= LONG_RANGE_S[1], f"{name}: long recording {n} lasts {length:.0f} s")
        pieces: list[np.ndarray] = []
        for position, i in enumerate(group):
            if position:
                pieces.append(np.zeros(int(pauses[i] * RATE), dtype=np.int16))
            pieces.append(_read_wav(directory / "clips" / f"{ids[i]}.wav")[0])
        long_id = f"{name}-long-{n}"
        _write_wav(directory / "long" / f"{long_id}.wav", np.concatenate(pieces), RATE)
        spoken_terms = list(dict.fromkeys(t for i in group for t in tests[i].terms))
        long_rows.append({"id": long_id, "audio": f"long/{long_id}.wav",
                          "text": " ".join(tests[i].text for i in group), "terms": spoken_terms,
                          "clips": [ids[i] for i in group],
                          "duration_s": round(_duration(directory / "long" / f"{long_id}.wav"), 2)})

    manifest = {
        "name": name, "terms": terms, "distractors": distractors, "train_texts": train,
        "clips": [
            {"id": ids[i], "audio": f"clips/{ids[i]}.wav", "text": s.text, "terms": list(s.terms),
             "spoken": s.spoken, "voice": renders[i].voice, "speed_wpm": renders[i].speed,
             "snr_db": renders[i].snr_db, "phone": renders[i].phone, "duration_s": round(durations[i], 2)}
            for i, s in enumerate(tests)
        ],
        "long_recordings": long_rows,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))
    seconds = time.perf_counter() - started
    (directory / "done.json").write_text(json.dumps({"version": VERSION, "generation_s": round(seconds, 2)}))
    return seconds


def _ensure(name: str, force: bool = False) -> Path:
    _check(name in _DOMAINS, f"unknown customer {name!r}; known: {', '.join(CUSTOMERS)}")
    final = cache_root() / name
    if _fresh(final) and not force:
        return final
    # Build beside the final folder and swap it in, so a half-written customer is never loaded
    # and a concurrent run at worst does the work twice.
    final.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=final.parent))
    try:
        shutil.rmtree(building)
        _generate(name, building)
        shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(building, final)
        except OSError:
            if not _fresh(final):
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return final


def _clip(directory: Path, row: dict[str, Any]) -> SyntheticClip:
    return SyntheticClip(row["id"], directory / row["audio"], row["text"], tuple(row["terms"]))


def load(name: str) -> Customer:
    """Customer `name` (one of CUSTOMERS), generated into the cache first if it is missing."""
    directory = _ensure(name)
    manifest = json.loads((directory / "manifest.json").read_text())
    return Customer(
        name=name,
        terms=tuple(manifest["terms"]),
        distractors=tuple(manifest["distractors"]),
        train_texts=tuple(manifest["train_texts"]),
        clips=tuple(_clip(directory, r) for r in manifest["clips"]),
        long_recordings=tuple(_clip(directory, r) for r in manifest["long_recordings"]),
    )


def load_all() -> list[Customer]:
    return [load(name) for name in CUSTOMERS]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="regenerate even when the cache is current")
    args = parser.parse_args(argv)
    print(f"cache: {cache_root()}")
    started = time.perf_counter()
    for name in CUSTOMERS:
        cached = _fresh(cache_root() / name) and not args.force
        t0 = time.perf_counter()
        directory = _ensure(name, force=args.force)
        took = time.perf_counter() - t0
        customer = load(name)
        manifest = json.loads((directory / "manifest.json").read_text())
        stamp = json.loads((directory / "done.json").read_text())
        rows = {r["id"]: r for r in manifest["clips"]}
        clip_s = sum(r["duration_s"] for r in manifest["clips"])
        long_s = [r["duration_s"] for r in manifest["long_recordings"]]
        with_terms = sum(bool(c.terms) for c in customer.clips)
        how = f"cached (generated in {stamp['generation_s']} s)" if cached else f"generated in {took:.1f} s"
        print(f"\n== {name}: {how}")
        print(f"  terms {len(customer.terms)}, distractors {len(customer.distractors)}, "
              f"train texts {len(customer.train_texts)} ({sum(len(t.split()) for t in customer.train_texts)} words)")
        print(f"  clips {len(customer.clips)} ({with_terms} with terms, {len(customer.clips) - with_terms} without), "
              f"{clip_s / 60:.1f} min; long recordings {len(long_s)}: "
              + ", ".join(f"{s / 60:.2f} min" for s in long_s))
        print(f"  distractor sample: {', '.join(customer.distractors[:6])}")
        # One clip with a term, one with two, one with none.
        samples = [next(c for c in customer.clips if len(c.terms) == n) for n in (1, 2, 0)]
        for clip in samples:
            row = rows[clip.id]
            noise = f"snr {row['snr_db']} dB" if row["snr_db"] is not None else "clean"
            print(f"  {clip.id} [{row['voice']}, {row['speed_wpm']} wpm, {noise}{', phone' if row['phone'] else ''}, "
                  f"{row['duration_s']:.1f} s] terms={list(clip.terms)}\n    {clip.text}")
    print(f"\ntotal: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
