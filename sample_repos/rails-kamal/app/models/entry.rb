class Entry < ApplicationRecord
  belongs_to :account
end
