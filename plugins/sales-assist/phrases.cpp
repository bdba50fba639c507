#include "phrases.hpp"

#include <algorithm>
#include <cctype>

namespace proffer::sales_assist {
namespace {

const Phrases kEnglish{
    "en",
    [](const std::string& shop) {
      return "Hello from " + shop +
             ". Thank you for taking our call. We will connect you to a "
             "member of our sales team.";
    },
    "Please key in the code shown on your screen.",
    "That was not the code. Please key in the code shown on your screen.",
    "Sorry, we could not verify your number. Goodbye.",
    [](std::size_t n) { return "You are number " + std::to_string(n) + " in the queue."; },
    "Sorry, all our agents are busy. Please try again later. Goodbye.",
};

const Phrases kGerman{
    "de",
    [](const std::string& shop) {
      return "Hallo von " + shop +
             ". Danke, dass Sie unseren Anruf annehmen. Wir verbinden Sie "
             "mit unserem Verkaufsteam.";
    },
    "Bitte geben Sie den Code ein, der auf Ihrem Bildschirm steht.",
    "Das war nicht der Code. Bitte geben Sie den Code ein, der auf Ihrem Bildschirm steht.",
    "Leider konnten wir Ihre Nummer nicht bestätigen. Auf Wiederhören.",
    [](std::size_t n) { return "Sie sind Nummer " + std::to_string(n) + " in der Warteschlange."; },
    "Leider sind alle Mitarbeiter besetzt. Bitte versuchen Sie es später noch einmal. Auf "
    "Wiederhören.",
};

const Phrases kFrench{
    "fr",
    [](const std::string& shop) {
      return "Bonjour de la part de " + shop +
             ". Merci d'avoir accepté notre appel. Nous vous "
             "mettons en relation avec notre équipe commerciale.";
    },
    "Veuillez saisir le code affiché sur votre écran.",
    "Ce n'est pas le bon code. Veuillez saisir le code affiché sur votre écran.",
    "Désolé, nous n'avons pas pu vérifier votre numéro. Au revoir.",
    [](std::size_t n) {
      return "Vous êtes numéro " + std::to_string(n) + " dans la file d'attente.";
    },
    "Désolé, tous nos conseillers sont occupés. Veuillez réessayer plus tard. Au revoir.",
};

const Phrases kSpanish{
    "es",
    [](const std::string& shop) {
      return "Hola de parte de " + shop +
             ". Gracias por aceptar nuestra llamada. Le pasamos con "
             "nuestro equipo de ventas.";
    },
    "Por favor, marque el código que aparece en su pantalla.",
    "Ese no es el código. Por favor, marque el código que aparece en su pantalla.",
    "Lo sentimos, no hemos podido verificar su número. Adiós.",
    [](std::size_t n) { return "Usted es el número " + std::to_string(n) + " en la cola."; },
    "Lo sentimos, todos nuestros agentes están ocupados. Inténtelo más tarde. Adiós.",
};

}  // namespace

const Phrases& english() { return kEnglish; }

const Phrases& phrases_for(const std::string& language) {
  // The primary subtag decides: "de-AT" and "de_DE" are German.
  std::string primary = language.substr(0, language.find_first_of("-_"));
  std::transform(primary.begin(), primary.end(), primary.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  for (const Phrases* p : {&kGerman, &kFrench, &kSpanish})
    if (p->voice == primary) return *p;
  return kEnglish;
}

}  // namespace proffer::sales_assist
