// GENERATED FILE - do not edit. Source: guardrails/resources.yml
// Regenerate with: python -m bot.web.build_resources
// Crisis and help resources per region, for the widget's "Get help now" (works offline from the
// assistant). Re-check every number on the live official page before launch (see
// guardrails/RESOURCES-NOTES.md).
window.KRATOM_RESOURCES = {
  "US": {
    "name": "United States",
    "emergency": {
      "label": "Emergency services",
      "source": "https://www.cdc.gov/stop-overdose/response/index.html",
      "phone": "911"
    },
    "crisis_lines": [
      {
        "label": "988 Suicide & Crisis Lifeline",
        "source": "https://988lifeline.org/",
        "phone": "988",
        "sms": "988",
        "web": "https://988lifeline.org/",
        "languages": [
          "en",
          "es"
        ],
        "note_es": "Para espa\u00f1ol, marque 988 y oprima 2."
      },
      {
        "label": "Veterans Crisis Line (dial 988, then press 1)",
        "source": "https://www.veteranscrisisline.net/",
        "phone": "988",
        "sms": "838255",
        "web": "https://www.veteranscrisisline.net/",
        "languages": [
          "en"
        ]
      }
    ],
    "poison": {
      "label": "Poison Help (connects to your local poison center)",
      "source": "https://www.poisonhelp.hrsa.gov/the-poison-help-line/index.html",
      "phone": "1-800-222-1222"
    },
    "treatment": [
      {
        "label": "SAMHSA National Helpline (free, confidential, 24/7 treatment referral; English and Spanish)",
        "source": "https://www.samhsa.gov/find-help/national-helpline",
        "phone": "1-800-662-4357",
        "web": "https://www.samhsa.gov/find-help/national-helpline"
      },
      {
        "label": "FindTreatment.gov (SAMHSA treatment locator)",
        "source": "https://findtreatment.gov/",
        "web": "https://findtreatment.gov/"
      }
    ]
  },
  "CA": {
    "name": "Canada",
    "emergency": {
      "label": "Emergency services",
      "source": "https://www.canada.ca/en/health-canada/services/substance-use/problematic-prescription-drug-use/opioids/about-good-samaritan-drug-overdose-act.html",
      "phone": "911"
    },
    "crisis_lines": [
      {
        "label": "9-8-8: Suicide Crisis Helpline",
        "source": "https://www.newswire.ca/news-releases/government-of-canada-launches-three-digit-suicide-crisis-helpline-896472116.html",
        "phone": "988",
        "sms": "988",
        "languages": [
          "en",
          "fr"
        ]
      }
    ],
    "poison": {
      "label": "Poison centre, Canada-wide (1-844-POISON-X); in Quebec call the Centre antipoison du Qu\u00e9bec at 1-800-463-5060",
      "source": "https://newswire.ca/news-releases/canada-launches-new-toll-free-1-844-poison-x-number-for-poison-centres-847763622.html",
      "phone": "1-844-764-7669"
    },
    "treatment": [
      {
        "label": "Health Canada: Substance use (see \"Get help with substance use\")",
        "source": "https://www.canada.ca/en/health-canada/services/substance-use.html",
        "web": "https://www.canada.ca/en/health-canada/services/substance-use.html"
      }
    ]
  },
  "UK": {
    "name": "United Kingdom",
    "emergency": {
      "label": "Emergency services (or go to A&E)",
      "source": "https://www.nhs.uk/nhs-services/urgent-and-emergency-care-services/when-to-call-999/",
      "phone": "999"
    },
    "crisis_lines": [
      {
        "label": "Samaritans (free, 24/7)",
        "source": "https://www.samaritans.org/how-we-can-help/contact-samaritan/",
        "phone": "116 123",
        "web": "https://www.samaritans.org/",
        "languages": [
          "en"
        ]
      },
      {
        "label": "NHS 111 (in England, choose option 2 for urgent mental health help)",
        "source": "https://neas.nhs.uk/your-service/111",
        "phone": "111",
        "languages": [
          "en"
        ]
      }
    ],
    "poison": null,
    "treatment": [
      {
        "label": "FRANK (UK government drugs advice, phone 24/7)",
        "source": "https://www.talktofrank.com/contact-frank",
        "phone": "0300 123 6600",
        "web": "https://www.talktofrank.com/"
      }
    ]
  },
  "IE": {
    "name": "Ireland",
    "emergency": {
      "label": "Emergency services (112 or 999)",
      "source": "https://www2.hse.ie/emergencies/when-to-call-112-or-999/",
      "phone": "112"
    },
    "crisis_lines": [
      {
        "label": "Samaritans (free, 24/7)",
        "source": "https://www.samaritans.org/how-we-can-help/contact-samaritan/",
        "phone": "116 123",
        "web": "https://www.samaritans.org/",
        "languages": [
          "en"
        ]
      }
    ],
    "poison": {
      "label": "National Poisons Information Centre, Public Poisons Line (8am-10pm daily; outside these hours contact your GP or an emergency department)",
      "source": "https://poisons.ie/about/what-we-do/",
      "phone": "01 809 2166"
    },
    "treatment": [
      {
        "label": "drugs.ie (drug and alcohol information and support)",
        "source": "https://www.drugs.ie/news/article/surge_in_alcohol_related_calls_to_hse_helpline",
        "web": "https://www.drugs.ie/"
      }
    ]
  },
  "AU": {
    "name": "Australia",
    "emergency": {
      "label": "Emergency services (Triple Zero)",
      "source": "https://healthdirect.gov.au/amp/article/poisoning",
      "phone": "000"
    },
    "crisis_lines": [
      {
        "label": "Lifeline (24/7 call, text or online chat)",
        "source": "https://lifeinmind.org.au/news/lifelines-crisis-text-service-now-available-24-7",
        "phone": "13 11 14",
        "sms": "0477 13 11 14",
        "web": "https://www.lifeline.org.au/",
        "languages": [
          "en"
        ]
      }
    ],
    "poison": {
      "label": "Poisons Information Centre (24/7, anywhere in Australia)",
      "source": "https://www.poisonsinfo.health.qld.gov.au",
      "phone": "13 11 26"
    },
    "treatment": [
      {
        "label": "National Alcohol and Other Drug Hotline (connects to your state or territory service)",
        "source": "https://www.health.gov.au/health-topics/drugs",
        "phone": "1800 250 015"
      }
    ]
  }
};
