// GENERATED FILE - do not edit. Source: guardrails/resources.yml
// Regenerate with: python -m bot.web.build_resources
// Crisis and help resources per region, for the widget's "Get help now" (works offline from the
// assistant). Re-check every number on the live official page before launch (see
// guardrails/RESOURCES-NOTES.md).
// Crisis rules from guardrails/policy.yml, for the widget's in-browser check when the assistant
// cannot be reached (patterns with {TERMS} expanded; matched against lower-cased, accent-free text).
window.KRATOM_CRISIS = {
 "rules": [
  {
   "id": "crisis.suicide_intent",
   "category": "suicide",
   "when": [
    {
     "all": [
      "\\b(kill|killing|end|ending|take|taking|off|hurt|hurting|harm|harming|cut|cutting|hang|hanging|shoot|shooting|poison|poisoning|drown|drowning)(ing)? (my ?self|myself|my own life|my life)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bsuicid(e|al|ing)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bsuicide\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(want|wanna|wanting|going|gonna|plan|planning|ready|wish|trying|tried|try|decided|deserve|about|rather|like) (to )?(die|be dead|not (be )?(alive|exist|here|wake up)|disappear forever|sleep forever|end it|end it all|end everything|not wake up)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bi (just )?(want|wanna|wish i could|wish to) (die|be dead|disappear)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(wish i (was|were) dead|wish i (was|were) never born|wish i wouldn't wake up|hope i (don't|never) wake up)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(don't|do not|dont|no longer|not) (want|wanna|wish) to (live|be alive|exist|wake up|be here|go on|keep going)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(better off dead|better off without me|no (reason|point) (to|in) (live|living|going on|being alive|keep going)|nothing to live for|life is not worth|life isn't worth|not worth living)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(end|ending) (it all|everything|my suffering|the pain for good)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(i'm|im|i am|i'll|ill|i will|gonna|going to|plan to|planning to|about to|ready to|decided to) (be )?(end|ending) (things|it|my story) for good\\b(?! with\\b)"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(commit|committing) (sudoku|sewer ?slide|toaster bath)\\b|\\b(considering|contemplating) (sudoku|sewer ?slide|a toaster bath)\\b(?! (or|and|puzzles?|books?|apps?|games?|for|on)\\b)"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(self[- ]?harm|hurt myself|cutting myself|cut myself|harm myself)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(overdose|od) on purpose\\b|\\bon purpose\\b.{0,30}\\b(overdose|pills)\\b|\\b(take|took|swallow) (all|every one) of (my|the|these) (pills|meds)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(kill|killing) me\\b.{0,20}\\b(please|now|already)\\b|\\bi'm going to kill myself\\b|\\bkill myself\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(can't|cannot|cant) (go on|keep going|do this anymore|take (it|this) anymore|live like this)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(goodbye|saying goodbye) (world|everyone|forever)\\b|\\bthis is my last (message|night|day)\\b|\\bwriting (a|my) (suicide )?note\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(won't|will not|will never|never) hear from me (again|ever again|anymore)\\b(?! (until|till|til|for|after|before|on|this|next|today|tonight|in|when)\\b)"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(tired|sick|exhausted|done) of (existing|being alive|staying alive)\\b|\\b(won't|will not) be (around|alive) (much|for much) longer\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(my|his|her|their) (friend|brother|sister|son|daughter|mom|dad|partner|wife|husband|boyfriend|girlfriend|roommate|cousin|kid|child)\\b.{0,40}\\b(wants|want|going|gonna|trying|tried|threatening|threatened|talking about) (to )?(die|kill (himself|herself|themselves)|end (his|her|their) life|suicide)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(kill|killing|end|ending) (himself|herself|themselves|his life|her life|their life)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(saving|saved|stockpiling|hoarding) (up )?(my |all my )?(pills|meds|medication|pain pills)\\b|\\btonight is the night\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(thinking|thought|think|thinkin) (about|of) (ending|end) (it|things|my life|everything|it all)\\b|\\bseriously (thinking|considering) (about )?(ending|it)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bbetter off (if i (was|were) (dead|gone)|without me|if i wasn't here|if i died)\\b|\\bif i (was|were) (dead|gone)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(wrote|writing|written|write|left) (a |my |the )?(suicide |goodbye )?(note|notes|letters?)\\b.{0,30}\\b(goodbye|kids|family|mom|wife|husband|everyone|for)\\b|\\bgoodbye (letters?|notes?|messages?|texts?)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(no|don't see the|dont see the|don't see any|what's the|whats the|see no) point (in|of|to) (being alive|living|life|going on|staying alive|anything anymore|any of it)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(standing|sitting|up) on (the|a) (bridge|ledge|edge|roof|rooftop|train tracks|tracks)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(drive|driving|jump|jumping|step|stepping|walk|walking) (off|in front of|into|onto) (the|a|an) (overpass|bridge|cliff|building|train|traffic|bus|truck|roof|river|tracks)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(swallow|take|down|overdose on) (all|every one of|the rest of) (her|his|their|my) (pills|meds|medication|tablets)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(take|swallow|down) (every|all the|all my|all of the|all of my|the rest of my|a whole bottle of) (pills?|meds|medication|tablets)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(sleep|go to sleep|fall asleep) and (never|not) wake up\\b|\\bnever wake up again\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(painless|easy|easiest|quick|quickest|quiet|peaceful|best|surest) way to (die|overdose|od|kill myself|end it|go)\\b(?! (about|ahead|for|with|through|back|from|to|in|on|over|off|up|down|out|home|there)\\b)"
     ],
     "none": []
    },
    {
     "all": [
      "\\bi (have|got|bought|found) (a|the|my) (rope|noose|gun|razor|blade)\\b|\\b(rope|noose|gun) (is |are )?(ready|set up|loaded|tied)\\b|\\b(staring at|looking at|holding|loaded) (the|my|a|his|her) (gun|rope|noose|razor|blade|knife)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(cutting|hurting|harming|burning|starving) (himself|herself|themselves|myself)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(suicid\\w*|matarme|quitarme la vida|quiero morir\\w*|me quiero morir|no quiero (vivir|seguir|estar vivo|estar viva|despertar)|acabar con (mi vida|todo)|hacerme dano|lastimarme|cortarme|no vale la pena vivir|mejor muerto|mejor muerta|ya no puedo mas)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(quiero|voy a) (cortarme|matarme|morirme|hacerme dano)\\b|\\bme (quiero|voy a) (cortar|matar|morir)\\b|\\bsi me muero\\b|\\bnadie me (va a )?extranar\\b|\\b(razon|motivo|sentido) (para|de) seguir (viviendo|vivo|vivienda|aqui)\\b|\\bno (tiene|le veo) sentido (vivir|la vida|seguir)\\b|\\bquiero desaparecer\\b|\\b(estarian|estaria|estarias|estarias|estan|serian|seria|vivirian) mejor sin mi\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(si|cuando|mejor) .{0,40}\\bme mato\\b(?! (de|trabajando|estudiando|a trabajar|en el gym|en el gimnasio)\\b)|\\bme voy a matar\\b(?! (de|trabajando|estudiando)\\b)"
     ],
     "none": []
    },
    {
     "all": [
      "\\bse (quiere|va a|piensa|quiso|intento) (matar|suicidar|quitar la vida)\\b|\\bse quiere morir\\b|\\b(quiere|va a|piensa|intento) (matarse|suicidarse|quitarse la vida)\\b|\\bpara (matarse|suicidarse|quitarse la vida|matarme|suicidarme|quitarme la vida)\\b|\\b(guardando|guardadas|guardados|juntando|acumulando) (las |unas |sus |mis )?(pastillas|medicinas|pildoras)\\b"
     ],
     "none": []
    }
   ],
   "unless": [
    "\\b(suicide|suicidal) (rates?|risk|risks|statistics|stats|data|numbers|research|studies|thoughts? (are|is) (a |common|more common|linked))\\b(?!.{0,40}\\b(i|me|my)\\b)",
    "\\b(higher|increased|lower) (risk of )?(suicide|suicidal)\\b(?!.{0,40}\\b(i|me|my)\\b)",
    "\\b(suicide|suicidal) (squad|mission|doors?|king|run|sprints?)\\b",
    "^(what|how) (is|are) (the )?(link|connection|relationship) between\\b",
    "\\b(kill|killing|take|end) (the )?(time|process|task|job|python|program|thread|lights?|engine|weeds?|bacteria|germs|mood|vibe)\\b"
   ]
  },
  {
   "id": "crisis.overdose_now",
   "category": "emergency",
   "when": [
    {
     "all": [
      "\\b(is|are|he's|she's|they're|hes|shes|theyre|i'm|im|am|currently|just|keep|might be|think (he|she|they|i) (is|are|am)|possibly|maybe) (overdosing|overdosed|having an overdose)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\boverdos(ing|ed|e)\\b.{0,40}\\b(now|right now|help|please|hurry|asap|not breathing|won't wake|can't wake|unconscious|unresponsive|blue|what do i do|what should i do|call)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(my|his|her|their|a|the) (friend|brother|sister|son|daughter|mom|mother|dad|father|partner|wife|husband|boyfriend|girlfriend|roommate|cousin|kid|child|baby|grandma|grandpa|uncle|aunt|neighbor|neighbour|coworker|buddy|guy|person|someone)\\b.{0,40}\\b(overdosed|overdosing|od|ods|is od|just od|took too (much|many))\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(someone|somebody|a person|a guy|a girl|a man|a woman|he|she|they) (is|are|just|has|have)? ?(overdosing|overdosed)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(not|isn't|isnt|is not|stopped|can't|cant|cannot|barely|struggling|struggling to|trouble|hard time|having trouble|isn't really|won't start|hard to|difficult to|trouble to|can hardly|hardly) ?breath(ing|e)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(can't|cant|cannot) feel (my|his|her|their) (arms|legs|face|body|hands|chest)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(won't|wont|can't|cant|cannot|couldn't|not able to|unable to) (wake|rouse|get) (him|her|them|my \\w+|up)( up)?\\b|\\b(can't|cant|cannot|won't|wont) (be )?wake(n)? up\\b|\\bwill not wake\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(unconscious|unresponsive|passed out and|not responding|non[- ]?responsive|turning blue|turned blue|lips (are|look|turned|going) (blue|purple|grey|gray)|(blue|purple) lips|face is (blue|grey|gray)|gurgling|foaming at the mouth|choking on (his|her|their) vomit)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(having|has|had|is having|just had|in the middle of) (a )?(seizure|seizures|fit|convulsions?|heart attack|stroke)\\b|\\b(seizing|convulsing)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(i have|i've got|i got|i'm having|im having|having|he has|she has|they have|he's having|she's having|my) (bad |severe |sharp |crushing |really bad )?(chest pain|chest pains|chest (is|feels) (tight|heavy|crushed)|pain in my chest)\\b|\\bmy (heart|chest) (hurts|is (pounding|racing) and)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(took|taken|swallowed|ate|drank|used|did|snorted|injected) (a |the |my |his |her |their )?(whole|entire|all (of )?(the|my)|all|lot of|bunch of|handful of|too many|too much|way too (much|many)|double|triple|a bottle of|bottle of)\\b.{0,30}\\b(pills|meds|kratom|bottle|tablets|capsules|fent|fentanyl|xanax|oxycodone|percocet|heroin|opioids|medication|drugs|stuff|7-?oh)?"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(took|take|taken|swallowed|ate|used|did) (a |the )?(whole|entire) (bottle|pack|packet|box|sheet)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(collapsed|collapse|fainted|blacked out|passed out|turning (blue|grey|gray|pale))\\b.{0,60}\\b(after|used|using|took|kratom|pills|fent|fentanyl|heroin|drugs|high|dope|help|breath|breathing|blue|needle|syringe|rig|spoon)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(he|she|they|my \\w+) (collapsed|fainted|is collapsing)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(can't|cant|cannot|barely|hard to|struggling to|trouble|having trouble) (get|getting|catch|catching) (air|a breath|my breath|enough air|his breath|her breath)\\b|\\bcan barely breathe\\b|\\bgasping\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(took|ate|drank|used|mixed|did|snorted|smoked|shot)\\b.{0,100}\\b(and now|now i'?m|now he'?s|now she'?s|now they'?re|and i'?m|and he'?s|and she'?s|now my|now i)\\b.{0,40}\\b(puking|vomiting|throwing up|can't see|cant see|can't breathe|sleepy|passing out|shaking|seizing|numb|confused|dizzy|heart|chest|breath|air|blue|grey|gray|limp|awake|unresponsive|not moving|nodding|hard to (keep awake|wake))\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(isn't|isnt|is not|not|wasn't|stopped|won't|wont) (responding|moving|waking)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(he'?s|she'?s|they'?re|is|now|went|gone|turned|looks?|looking) (limp|grey|gray|blue|pale and \\w+|cold and \\w+|floppy|purple)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(clutching|grabbing|holding) (his|her|their|my) (chest|heart)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(pain|pressure|tightness|squeezing) in (my|his|her|their) chest\\b|\\b(left )?arm (is )?(going |gone )?numb\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(my|his|her|their) breathing (feels|is|sounds|seems|got|went|looks) (\\w+ )?(weird|slow|shallow|wrong|off|funny|strange|heavy|labou?red|like snoring|raspy|gurgly|really slow)\\b|\\bsnoring (sound|sounds|noise)\\b|\\bbreathing sounds like\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(can barely|can't|cant|cannot|struggling to|hard to) keep (my|his|her|their) eyes open\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(won't|wont|will not|doesn't|does not|isn't|isnt) (respond|move|wake up|answer|open (his|her|their) eyes)\\b.{0,40}\\b(floor|needle|pills|used|took|after|breath|blue|grey|gray|cold)\\b|\\b(floor|needle|pills|used|took|overdos\\w*)\\b.{0,60}\\b(won't|wont|will not|doesn't|isn't|isnt) (respond|move|wake|answer)\\w*\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(hard|impossible) to (keep|wake) (awake|him|her|them|up)\\b|\\bcan't (keep|stay) (him |her |them )?awake\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(crushing|severe|sharp|bad|tight|really bad) chest (pain|pains)\\b|^chest pain\\b|\\bchest (pain|pains) (and|after|from|right now|now|since)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(need an ambulance|emergency right now|this is an emergency|it's an emergency)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(heart|pulse) (is|has) (stopped|very slow|really slow|so slow)\\b|\\bno pulse\\b|\\bpinpoint pupils\\b.{0,40}\\b(won't|can't|not)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(tiene|tuvo|esta teniendo|esta con|le dio) (una )?(sobredosis|convulsion\\w*|ataque)\\b|\\b(no respira|no puede respirar|no despierta|no reacciona|no responde|inconsciente|se desmayo|labios azules|labios morados|se esta muriendo|se puso azul|dolor (en el|de) pecho)\\b|\\b(sobredosis)\\b.{0,30}\\b(ayuda|ahora|ya|rapido)\\b|\\b(esta|estoy|estan) (teniendo una )?(sobredosis)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bconvulsionando\\b|\\brespira (raro|mal|muy lento|muy poco|con dificultad)\\b|\\bdolor (\\w+ ){0,3}(en el|del|de) pecho\\b|\\b(me|se|nos) (tome|tomo|tomaron|trague|trago) (todas|todo|un monton|muchas|muchos|demasiad\\w*|el frasco|la caja)\\b"
     ],
     "none": []
    }
   ],
   "unless": [
    "^(what|how|why|when|which|is|are|can|could|does|do)\\b.{0,60}\\b(signs?|symptoms?|look like|looks like|happen|happens|treat|treated|cause|causes|risk|risks|common|rare|mean|means|usually|typically|generally)\\b(?!.{0,40}\\b(now|right now|help me|please|he|she|my)\\b)",
    "\\b(last (year|month|week)|years? ago|months? ago|weeks? ago|in the past|used to|died of an overdose)\\b(?!.{0,40}\\b(right now|again|still)\\b)",
    "^(what|how) (should|do|can|would) (you|one|people|someone|a person|i) (do|help|respond|react)\\b.{0,15}\\b(if|when) (someone|a person|somebody|people|you see)\\b(?!.{0,40}\\b(right now|here|help me)\\b)",
    "\\bhold (my|your) breath\\b|\\bbreathing (exercises?|techniques?)\\b",
    "\\bbreathe? (underwater|under water|in space|on mars|on the moon|through (their|his|her) skin)\\b",
    "^(opioid |kratom |an |the )?(overdose|od) (signs|symptoms)\\b(?!.{0,60}\\b(now|right now|help|he|she|they|my|is|are|isn't)\\b)",
    "\\b(book|movie|film|show|story|game|character|novel|episode)\\b.{0,40}\\b(seizure|overdos\\w+|collapsed)\\b",
    "^(how|what|is there a way)\\b.{0,30}\\b(tell|know|recogni[sz]e|spot|identify|distinguish)\\b.{0,10}\\b(if|when|whether|that|the difference)\\b(?!.{0,60}\\b(right now|help me|please|my|he|she|they)\\b)",
    "\\b(overdose|od) (risk|rates?|deaths?|prevention|statistics|awareness)\\b(?!.{0,40}\\b(right now|help|please|not breathing|blue|unconscious)\\b)"
   ]
  },
  {
   "id": "crisis.emergency_words",
   "category": "emergency",
   "when": [
    {
     "all": [
      "\\b(call 911|calling 911|called 911|call an ambulance|calling an ambulance|call emergency services|medical emergency|call poison control)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(take|taking) (a |the |my |his |her |their )?(whole|entire|all (of )?(the|my)|lot of|bunch of|handful of|too many|too much|way too (much|many)|double|triple|a bottle of|bottle of)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(llamar|llame|llamo) (al )?(911|una ambulancia)\\b|\\bemergencia medica\\b"
     ],
     "none": []
    }
   ],
   "unless": []
  },
  {
   "id": "crisis.warning_signs",
   "category": "suicide",
   "when": [
    {
     "all": [
      "\\b(giving|gave|give|given) (away )?(all )?(my|all my|most of my) (things|stuff|belongings|possessions|pets?|cat|dog)( away)?\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bgarage\\b.{0,60}\\bengine (running|on)\\b|\\bengine (running|on)\\b.{0,60}\\bgarage\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(bother|bothering) (being|staying) alive\\b|\\blast (month|week|year) (i'm|im|i am) (going to|gonna) (be alive|live|be around)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(regalando|regale) (todas )?mis cosas\\b"
     ],
     "none": []
    }
   ],
   "unless": []
  },
  {
   "id": "crisis.lethal_amount",
   "category": "lethal_amount",
   "when": [
    {
     "all": [
      "\\b(lethal|fatal|deadly|killing|toxic) (dose|amount|quantity|level)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bhow (much|many)\\b.{0,50}\\b(to|would|will|could|can|does it take to|it takes to|before you|before i|until) (just )?(die|kill (me|myself|someone|a person|you)|be fatal|be lethal|overdose|od|stop (my|your) (heart|breathing)|not wake up|never wake up|end it)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(what amount|how much|how many|what dose|the most)\\b.{0,40}\\b(would|will|could|can|to|before (it|they|that))\\b.{0,10}\\b(kills?|be fatal|be lethal)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\bbefore (it|they|that) (kills?|would kill) (you|me|someone)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(enough|amount|dose) (of )?(\\w+ )?to (die|kill (me|myself|someone|a person|you)|overdose|stop breathing|not wake up)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(cuanto|cuantos|cuantas)\\b.{0,40}\\b(para morir|para matarme|dosis letal|para una sobredosis)\\b|\\bdosis (letal|mortal)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(how (much|many)|what (amount|quantity|number|dose)|(amount|quantity|number) of|at what (point|dose|number|amount|level))\\b",
      "\\b(one[- ]way (trip|ticket)|point of no return|no coming back|(doesn't|does not|don't|do not|won't|will not|wouldn't|would not|never|not) (come|coming) back|(not|never|won't|don't|doesn't|wouldn't) wake (back )?up(?!\\s+(tired|groggy|early|late|at|in the|during|feeling|with|sore|hungry|so|too|every|at night))|make sure (it's|it is|i'm|im|i am|that's) (over|done|gone|dead|the end)|(stop|stops|stopping) (my|your|the|a person's|someone's) heart|to end (it|things|my life)( for good)?|be (the|my) end)\\b"
     ],
     "none": []
    },
    {
     "all": [
      "\\b(cuanto|cuantos|cuantas|que cantidad|cantidad)\\b.{0,60}\\b(no despertar|ya no despierte|no despierte|sin vuelta|no tiene vuelta|no hay vuelta|no volver|parar el corazon|acabar con todo)\\b"
     ],
     "none": []
    }
   ],
   "unless": [
    "\\b(how many|what number of) (people|americans|deaths|cases|users|persons)\\b",
    "\\b(naloxone|narcan)\\b"
   ]
  }
 ],
 "spanish": [
  "\\b(que|quiero|puedo|debo|cuanto|cuantos|cuantas|como|donde|porque|para|estoy|tengo|necesito|ayuda|hermano|hermana|amigo|amiga|mama|papa|hijo|hija|esposo|esposa|novio|novia|esta|esto|eso|mucho|tomar|mezclar|dejar|comprar|morir|vivir|matarme|suicidar\\w*|sobredosis|respira|abstinencia|gracias|hola+|adios|buenas+|el|la|los|las|del|mi|tu|su|con|sin|una|unos|por|pero|muy|ya|no se|yo|si)\\b",
  "\\b(de|y|es|en|se|te|lo|le|les|nos|mis|tus|sus|al|un|unas|hoy|todos|todas|todo|siento|siente|hace|cuando|desde|tambien|algo|nada|nadie|ahora|siempre|nunca|bien|mas|hay|fue|ser|estar|hacer|tiene|tienen|puede|pueden|sabe|dias|semanas|anos|meses|veces|alguien|usted|ustedes|ella|ellos|voy|vas|va|vamos|estas|eres|soy|son|sea|chao|cuidate|vemos|noches|grax|pues|entonces|solo|sola|otra|otro|mucha|muchas|muchos|dame|dime|cuentame|dinero|casa|aqui|alli|asi|bueno|buena)\\b"
 ],
 "english": [
  "\\b(the|an|is|are|was|were|i|im|i'm|you|your|my|to|of|and|in|on|it|its|it's|what|how|do|does|did|can|could|should|would|with|for|this|that|have|has|be|not|if|or|but|so|just|about|from|at|there|they|he|she|we|will|get|got|why|when|where|who|which|any|some|whats|good|see|hey|hi|hello|thanks|thank|bye|lol|please|up)\\b"
 ],
 "spelling": {
  "2gether": "together",
  "adderal": "adderall",
  "benzo": "benzodiazepine",
  "benzos": "benzodiazepines",
  "bupe": "buprenorphine",
  "cant": "can't",
  "cn": "can",
  "cratom": "kratom",
  "dont": "don't",
  "dosage": "dose",
  "dosages": "doses",
  "doseage": "dose",
  "dosing": "dose",
  "fent": "fentanyl",
  "fentanil": "fentanyl",
  "fentynal": "fentanyl",
  "fetty": "fentanyl",
  "gabapentine": "gabapentin",
  "gms": "grams",
  "gonna": "going to",
  "gramz": "grams",
  "grm": "grams",
  "grms": "grams",
  "gs": "grams",
  "hw": "how",
  "im": "i'm",
  "kartom": "kratom",
  "kiil": "kill",
  "kil": "kill",
  "kll": "kill",
  "kms": "kill myself",
  "krat0m": "kratom",
  "kratim": "kratom",
  "kratm": "kratom",
  "kratomm": "kratom",
  "kratomm's": "kratom",
  "kratoms": "kratom",
  "kraton": "kratom",
  "kratum": "kratom",
  "kratum's": "kratom",
  "krotom": "kratom",
  "lexapo": "lexapro",
  "mang": "maeng",
  "mch": "much",
  "metadone": "methadone",
  "methadon": "methadone",
  "methodone": "methadone",
  "mg's": "mg",
  "mixin": "mixing",
  "mny": "many",
  "muc": "much",
  "mysef": "myself",
  "myslef": "myself",
  "n": "and",
  "naloxon": "naloxone",
  "narcon": "narcan",
  "od": "overdose",
  "od'ing": "overdosing",
  "od's": "overdoses",
  "oding": "overdosing",
  "overdoes": "overdose",
  "overdossing": "overdosing",
  "oxies": "oxycodone",
  "oxy": "oxycodone",
  "oxys": "oxycodone",
  "perc": "percocet",
  "percocets": "percocet",
  "percs": "percocet",
  "perscription": "prescription",
  "pls": "please",
  "plz": "please",
  "r": "are",
  "replacment": "replacement",
  "shld": "should",
  "shud": "should",
  "sicide": "suicide",
  "subaxone": "suboxone",
  "suboxen": "suboxone",
  "suboxne": "suboxone",
  "subs": "suboxone",
  "sucide": "suicide",
  "suicde": "suicide",
  "suicid": "suicide",
  "suicie": "suicide",
  "suiside": "suicide",
  "tho": "though",
  "thx": "thanks",
  "ty": "thank you",
  "u": "you",
  "unalive": "kill myself",
  "unalived": "killed myself",
  "unaliving": "killing myself",
  "ur": "your",
  "vendr": "vendor",
  "vendrs": "vendors",
  "w": "with",
  "w/d": "withdrawal",
  "w/ds": "withdrawals",
  "wanna": "want to",
  "wat": "what",
  "wd": "withdrawal",
  "wds": "withdrawals",
  "wher": "where",
  "whr": "where",
  "widthdrawal": "withdrawal",
  "withdrawel": "withdrawal",
  "withdrawl": "withdrawal",
  "withdrawls": "withdrawals",
  "withdrawls.": "withdrawals",
  "withdraws": "withdrawals",
  "wont": "won't",
  "wut": "what",
  "xannax": "xanax",
  "xannies": "xanax",
  "xanny": "xanax",
  "xans": "xanax"
 }
};
// Help resources per region (guardrails/resources.yml).
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
